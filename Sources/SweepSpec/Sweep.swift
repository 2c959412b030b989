// A sweep file read and validated: its name, axes, fixed parameters, seeds, include and exclude
// entries, `--set` overrides applied, expanded into cells. Reads the file; never writes.

import CanonicalJSON
import Foundation
import TrainingCore

/// A validated, expanded sweep: what `sweep plan` shows and what the orchestrator runs.
public struct Sweep: Sendable {
  /// One grid axis: a parameter and its values in file order.
  public struct Axis: Sendable, Hashable {
    public var name: String
    /// The values as people read them: `adam`, `0.05`, `true`, `[cce, dice]`.
    public var values: [String]
    /// The values in canonical JSON form.
    public var canonicalValues: [JSONValue]
  }

  /// One parameter set to one value (a `fixed` entry, or one key of an include/exclude entry).
  public struct Setting: Sendable, Hashable {
    public var name: String
    /// The value as people read it.
    public var value: String
    public var canonicalValue: JSONValue
  }

  public var name: String
  public var description: String?
  /// The spec file's path as given.
  public var specPath: String
  /// Hex SHA-256 of the spec file's bytes.
  public var specSHA256: String
  /// The grid axes in file order, the first outermost.
  public var axes: [Axis]
  /// Parameters common to every cell, in file order.
  public var fixed: [Setting]
  /// The seeds, the innermost axis.
  public var seeds: [UInt64]
  public var excludes: [[Setting]]
  public var includes: [[Setting]]
  /// Parameter combinations after exclude and include, before seeds.
  public var combinations: Int
  /// The cells in expansion order, without duplicates.
  public var cells: [Cell]

  /// The largest `maxCells` a sweep may be loaded with: beyond it a grid is refused whatever the
  /// flag says, since its cells would not fit in memory comfortably.
  public static let maxCellsLimit = 1_000_000

  /// Reads, validates and expands the sweep file at `path`, with `--set` overrides applied.
  public static func load(
    path: String, overrides: [String] = [], maxCells: Int = 100_000
  ) throws(SweepSpecError) -> Sweep {
    let url = URL(fileURLWithPath: path)
    // A directory, FIFO or device would give a raw Foundation error, block, or read forever.
    var info = stat()
    if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
      let kind =
        (info.st_mode & S_IFMT) == S_IFDIR
        ? "a directory" : "not a regular file (a FIFO, device or socket)"
      throw .unreadable(path: path, reason: "the sweep file is \(kind)")
    }
    let size: Int
    do {
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      size = (attributes[.size] as? NSNumber)?.intValue ?? 0
    } catch {
      throw .unreadable(
        path: path, reason: "cannot read the sweep file (\(error.localizedDescription))")
    }
    guard size <= YAMLReader.maxBytes else {
      throw .unreadable(
        path: path,
        reason: "the sweep file is \(size) bytes, more than the limit of \(YAMLReader.maxBytes)")
    }
    let bytes: [UInt8]
    do {
      bytes = [UInt8](try Data(contentsOf: url))
    } catch {
      throw .unreadable(
        path: path, reason: "cannot read the sweep file (\(error.localizedDescription))")
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      let offset = firstInvalidUTF8Offset(bytes) ?? 0
      let source = SourceText(origin: .file(path), text: String(decoding: bytes, as: UTF8.self))
      // Up to `offset` both texts are the same bytes, so the offset maps to the same place.
      throw .invalid(
        source.location(byteOffset: offset),
        message: "the sweep file is not valid UTF-8: byte 0x"
          + String(bytes[offset], radix: 16, uppercase: true) + " here starts no character")
    }
    return try parse(text: text, path: path, overrides: overrides, maxCells: maxCells)
  }

  /// Validates and expands sweep text that came from `path` (used for messages, the spec hash is
  /// of `text`), with `--set` overrides applied.
  public static func parse(
    text: String, path: String, overrides: [String] = [], maxCells: Int = 100_000
  ) throws(SweepSpecError) -> Sweep {
    let source = SourceText(origin: .file(path), text: text)
    let top = source.location(line: 1, column: 1)
    guard let root = try YAMLReader.parse(text, source: source), root.scalar?.resolved != .null
    else {
      throw .invalid(top, message: "the sweep file is empty; it needs at least a grid or fixed")
    }
    var draft = try SweepDraft(root: root, defaultName: defaultName(for: path), top: top)
    for override in overrides {
      try draft.apply(override: override)
    }
    try draft.check()
    var sweep = try draft.expand(maxCells: min(max(maxCells, 0), maxCellsLimit))
    sweep.specPath = path
    sweep.specSHA256 = CellID.hexDigest(Array(text.utf8))
    return sweep
  }

  /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence (an
  /// overlong form, a surrogate, a stray continuation byte, a truncated sequence), or nil.
  static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
    var i = 0
    while i < bytes.count {
      let lead = bytes[i]
      let length: Int
      var second: ClosedRange<UInt8> = 0x80...0xBF
      switch lead {
      case 0x00...0x7F: length = 1
      case 0xC2...0xDF: length = 2
      case 0xE0:
        length = 3
        second = 0xA0...0xBF
      case 0xED:
        length = 3
        second = 0x80...0x9F
      case 0xE1...0xEF: length = 3
      case 0xF0:
        length = 4
        second = 0x90...0xBF
      case 0xF4:
        length = 4
        second = 0x80...0x8F
      case 0xF1...0xF3: length = 4
      default: return i
      }
      guard i + length <= bytes.count else { return i }
      for k in 1..<length {
        let range: ClosedRange<UInt8> = k == 1 ? second : 0x80...0xBF
        if !range.contains(bytes[i + k]) { return i }
      }
      i += length
    }
    return nil
  }

  /// The file name without directories and extension: `sweeps/paper.yaml` → `paper`.
  static func defaultName(for path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = file.lastIndex(of: "."), dot != file.startIndex else { return file }
    return String(file[..<dot])
  }

  /// Nil when `name` is safe as a directory name, else what is wrong with it.
  static func problem(withName name: String) -> String? {
    if name.isEmpty { return "the sweep name is empty" }
    if name.count > 100 { return "the sweep name is \(name.count) characters, more than 100" }
    if name.hasPrefix(".") { return "the sweep name '\(excerpt(name))' starts with '.'" }
    if name.contains("..") { return "the sweep name '\(excerpt(name))' contains '..'" }
    let allowed = name.unicodeScalars.allSatisfy {
      $0.isASCII
        && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
          || "._-".unicodeScalars.contains($0))
    }
    if !allowed {
      return "the sweep name '\(excerpt(name))' may only hold letters, digits, '.', '_' and '-'"
    }
    return nil
  }
}

/// A value with the place it was written.
struct Located<Value> {
  var value: Value
  var location: SourceLocation
}

/// The seeds as written: a count N (seeds 1...N) or a list.
enum SeedSpec {
  case count(Int)
  case list([UInt64])

  var count: Int {
    switch self {
    case .count(let n): n
    case .list(let seeds): seeds.count
    }
  }

  var seeds: [UInt64] {
    switch self {
    case .count(let n): n > 0 ? (1...n).map { UInt64($0) } : []
    case .list(let seeds): seeds
    }
  }
}

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
