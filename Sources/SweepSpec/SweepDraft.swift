// A sweep file as read, before cross-checks and expansion: the top-level keys, axes, fixed
// settings, seeds, include/exclude entries and `--set` overrides, each with its source location.

import CanonicalJSON
import Foundation
import TrainingCore

/// A setting of one parameter as read from the input, already validated and canonical.
struct DraftSetting {
  var name: String
  var value: JSONValue
  /// Where the key was written.
  var location: SourceLocation
}

/// A grid axis as read from the input.
struct DraftAxis {
  var name: String
  var values: [JSONValue]
  var location: SourceLocation
}

/// The sweep as read from the file and overrides, before cross-checks and expansion.
struct SweepDraft {
  static let topLevelKeys = ["name", "description", "grid", "seeds", "fixed", "include", "exclude"]

  var name: Located<String>
  var description: String?
  var gridLocation: SourceLocation
  var axes: [DraftAxis] = []
  var fixed: [DraftSetting] = []
  var seeds: Located<SeedSpec>
  var excludes: [[DraftSetting]] = []
  var includes: [[DraftSetting]] = []
  /// Where the `exclude` key was written, for an exclude that leaves nothing.
  var excludeLocation: SourceLocation?

  init(root: YAMLNode, defaultName: String, top: SourceLocation) throws(SweepSpecError) {
    guard let pairs = root.mapping else {
      throw .invalid(
        root.location,
        message: "a sweep file is a mapping with keys "
          + SweepDraft.topLevelKeys.joined(separator: ", "))
    }
    name = Located(value: defaultName, location: top)
    gridLocation = top
    seeds = Located(value: .count(1), location: top)
    for pair in pairs {
      let key = pair.name
      // An empty section (`fixed:` with nothing under it) means none.
      let isEmpty = pair.value.scalar?.resolved == .null
      if isEmpty, ["grid", "fixed", "include", "exclude"].contains(key) { continue }
      switch key {
      case "name":
        name = Located(
          value: try Self.string(pair.value, what: "name"), location: pair.value.location)
      case "description":
        description = try Self.string(pair.value, what: "description")
      case "grid":
        gridLocation = pair.key.location
        axes = try Self.axes(pair.value)
      case "seeds":
        seeds = Located(value: try Self.seeds(pair.value), location: pair.value.location)
      case "fixed": fixed = try Self.settings(pair.value, what: "fixed")
      case "include": includes = try Self.entries(pair.value, what: "include")
      case "exclude":
        excludeLocation = pair.key.location
        excludes = try Self.entries(pair.value, what: "exclude")
      default:
        // `x-` keys are free for anchors and notes, as in Compose files.
        if key.hasPrefix("x-") { continue }
        throw .invalid(
          pair.key.location,
          message: "unknown key '\(excerpt(key))'" + Self.hint(for: key) + " (a sweep file has "
            + SweepDraft.topLevelKeys.joined(separator: ", ") + ", and x-… keys for anchors)")
      }
    }
  }

  /// A did-you-mean among top-level keys, then parameters (a parameter at the top level most
  /// likely belongs under `fixed`).
  static func hint(for key: String) -> String {
    if let match = Suggestions.closest(to: key, in: topLevelKeys) {
      return "; did you mean '\(match)'?"
    }
    if Parameters.names.contains(key) {
      return "; parameters go under 'fixed' or 'grid'"
    }
    return ""
  }

  /// The text of a scalar; numbers are taken as written (`name: 2026`), booleans and nulls are
  /// refused.
  static func string(_ node: YAMLNode, what: String) throws(SweepSpecError) -> String {
    guard let scalar = node.scalar else {
      throw .invalid(node.location, message: "\(what): expected a string, got \(node.sourceText)")
    }
    switch scalar.resolved {
    case .null, .bool:
      throw .invalid(node.location, message: "\(what): expected a string, got \(node.sourceText)")
    default:
      return scalar.text
    }
  }

  static func axes(_ node: YAMLNode) throws(SweepSpecError) -> [DraftAxis] {
    guard let pairs = node.mapping else {
      throw .invalid(
        node.location,
        message: "grid: expected a mapping of parameter: [values], e.g. theta: [0.05, 0.5]")
    }
    var axes: [DraftAxis] = []
    for pair in pairs {
      axes.append(try axis(named: pair.name, key: pair.key.location, values: pair.value))
    }
    return axes
  }

  /// One axis: a non-empty list of distinct valid values. For `track` each value is itself a
  /// list of losses (or "all").
  static func axis(
    named name: String, key: SourceLocation, values node: YAMLNode
  ) throws(SweepSpecError) -> DraftAxis {
    if name == "seed" {
      throw .invalid(
        key, message: "seed can't be an axis; set the seeds with 'seeds: 3' or 'seeds: [1, 7]'")
    }
    let definition = try Parameters.definition(name, at: key)
    guard let items = node.sequence else {
      throw .invalid(
        node.location,
        message: "axis '\(name)' must be a list of values, e.g. \(name): [\(node.sourceText)]")
    }
    guard !items.isEmpty else {
      throw .invalid(
        node.location, message: "axis '\(name)' is empty; an axis needs at least one value")
    }
    if name == "track", items.allSatisfy({ $0.scalar != nil && $0.scalar?.text != "all" }) {
      throw .invalid(
        node.location,
        message:
          "each value of the track axis is a list of losses, e.g. track: [[cce], [cce, dice]]; "
          + "to track one set of losses in every cell, put track under fixed")
    }
    var values: [JSONValue] = []
    var seen = Set<JSONValue>()
    for item in items {
      let value = try Parameters.canonicalValue(of: definition, item)
      if !seen.insert(value).inserted {
        throw .invalid(
          item.location,
          message: "axis '\(name)' lists \(Parameters.displayText(value)) more than once")
      }
      values.append(value)
    }
    return DraftAxis(name: name, values: values, location: key)
  }

  static func seeds(_ node: YAMLNode) throws(SweepSpecError) -> SeedSpec {
    let limit = 1 << 53
    if let scalar = node.scalar {
      if case .hugeInt? = scalar.resolved {
        throw .invalid(
          node.location, message: "seeds: a count must be in 1...1000000, got \(node.sourceText)")
      }
      guard case .int(let n)? = scalar.resolved else {
        throw .invalid(
          node.location,
          message:
            "seeds: expected a count (seeds 1...N) or a list of seeds, got \(node.sourceText)")
      }
      guard n >= 1, n <= 1_000_000 else {
        throw .invalid(node.location, message: "seeds: a count must be in 1...1000000, got \(n)")
      }
      return .count(n)
    }
    guard let items = node.sequence else {
      throw .invalid(
        node.location,
        message: "seeds: expected a count (seeds 1...N) or a list of seeds, got a mapping")
    }
    guard !items.isEmpty else {
      throw .invalid(node.location, message: "seeds: the list is empty; give at least one seed")
    }
    var seeds: [UInt64] = []
    var seen = Set<UInt64>()
    for item in items {
      if case .hugeInt? = item.scalar?.resolved {
        throw .invalid(
          item.location, message: "seeds: a seed must be in 0...\(limit), got \(item.sourceText)")
      }
      guard case .int(let seed)? = item.scalar?.resolved else {
        throw .invalid(
          item.location, message: "seeds: expected an integer seed, got \(item.sourceText)")
      }
      guard seed >= 0, seed <= limit else {
        throw .invalid(item.location, message: "seeds: a seed must be in 0...\(limit), got \(seed)")
      }
      guard seen.insert(UInt64(seed)).inserted else {
        throw .invalid(item.location, message: "seeds: seed \(seed) is listed more than once")
      }
      seeds.append(UInt64(seed))
    }
    return .list(seeds)
  }

  /// A mapping of parameter: value, validated.
  static func settings(_ node: YAMLNode, what: String) throws(SweepSpecError) -> [DraftSetting] {
    guard let pairs = node.mapping else {
      throw .invalid(node.location, message: "\(what): expected a mapping of parameter: value")
    }
    var settings: [DraftSetting] = []
    for pair in pairs {
      settings.append(try setting(pair.name, key: pair.key.location, value: pair.value, in: what))
    }
    return settings
  }

  static func setting(
    _ name: String, key: SourceLocation, value: YAMLNode, in what: String
  ) throws(SweepSpecError) -> DraftSetting {
    if name == "seed" {
      throw .invalid(key, message: "seed is set by the top-level 'seeds' key, not in \(what)")
    }
    let definition = try Parameters.definition(name, at: key)
    if value.sequence != nil, name != "track" {
      throw .invalid(
        value.location,
        message: "\(name): expected a single value, got a list; to sweep over values, put \(name) "
          + "under grid")
    }
    return DraftSetting(
      name: name, value: try Parameters.canonicalValue(of: definition, value), location: key)
  }

  /// A list of include or exclude entries, each a non-empty mapping of parameter: value.
  static func entries(_ node: YAMLNode, what: String) throws(SweepSpecError) -> [[DraftSetting]] {
    guard let items = node.sequence else {
      throw .invalid(
        node.location,
        message: "\(what): expected a list of mappings, e.g. \(what): [{loss: cce, theta: 0.5}]")
    }
    var entries: [[DraftSetting]] = []
    for item in items {
      guard let pairs = item.mapping, !pairs.isEmpty else {
        throw .invalid(
          item.location,
          message: "\(what): each entry must be a non-empty mapping of parameter: value")
      }
      entries.append(try settings(item, what: what))
    }
    return entries
  }

  /// Cross-checks after overrides: no key both fixed and an axis, exclude keys are axes, the
  /// name is safe.
  func check() throws(SweepSpecError) {
    for setting in fixed {
      if let axis = axes.first(where: { $0.name == setting.name }) {
        throw .invalid(
          setting.location,
          message:
            "'\(setting.name)' is both fixed and an axis (\(axis.location.relative(to: setting.location))); keep one"
        )
      }
    }
    let axisNames = Set(axes.map(\.name))
    for entry in excludes {
      for setting in entry where !axisNames.contains(setting.name) {
        throw .invalid(
          setting.location,
          message: "exclude: '\(setting.name)' is not an axis; exclude entries match axis values "
            + "(axes: \(axes.map(\.name).joined(separator: ", ")))")
      }
    }
    if let problem = Sweep.problem(withName: name.value) {
      throw .invalid(name.location, message: problem)
    }
  }
}
