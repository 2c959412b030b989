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
