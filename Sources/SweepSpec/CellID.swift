// Cell ids: the SHA-256 of a cell's canonical resolved config plus the core's semantics version
// and numeric fingerprint, and resolution of the short prefixes people type.

import CanonicalJSON
import Crypto
import TrainingCore

/// The content address of a cell. Sweep name, file layout, axis order and comments do not change
/// it; any training parameter, the core's semantics version or its numeric fingerprint does.
public struct CellID: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// 64 lowercase hexadecimal digits.
  public let hex: String

  /// The first 12 hex digits, for tables and messages.
  public var short: String { shortHex(hex) }

  public var description: String { short }

  /// The id of a config: SHA-256 of `canonicalText` of its canonical config, a newline,
  /// `core:` followed by `coreSemanticsVersion`, a newline, and `numerics:` followed by
  /// `numericFingerprint`.
  public init(config: TrainingConfig) {
    self.hex = CellID.hexDigest(Array(CellID.hashedText(config: config).utf8))
  }

  /// The text an id hashes (docs/SWEEPS.md).
  public static func hashedText(config: TrainingConfig) -> String {
    Parameters.canonicalText(config) + "\n" + "core:" + coreSemanticsVersion + "\n"
      + "numerics:" + numericFingerprint
  }

  /// An id from its 64 hex digits (either case); nil for anything else.
  public init?(hex: String) {
    let lowered = hex.lowercased()
    guard lowered.utf8.count == 64, lowered.allSatisfy(\.isASCIIHexDigit) else { return nil }
    self.hex = lowered
  }

  public static func < (a: CellID, b: CellID) -> Bool { a.hex < b.hex }

  /// Lowercase hex SHA-256 of `bytes`.
  static func hexDigest(_ bytes: [UInt8]) -> String {
    lowercaseHex(SHA256.hash(data: bytes))
  }
}

extension CellID {
  /// The config a cell with this id trains, read from `canonicalConfig` and checked: it must be
  /// a complete, valid canonical config (as `Parameters.canonical` writes it) whose hash is this
  /// id. The one check of a cell's identity, shared by the done check, `sweep verify`, the
  /// workers of `sweep run` and `sweep rerun`.
  /// Throws `notTheCellsConfig` saying why not.
  public func config(verifying canonicalConfig: JSONValue) throws(SweepSpecError)
    -> TrainingConfig
  {
    let resolved: TrainingConfig
    do {
      resolved = try Parameters.config(fromCanonical: canonicalConfig)
    } catch {
      throw .notTheCellsConfig(self, reason: "its config is not a valid config: \(error.message)")
    }
    if Parameters.canonical(resolved) != canonicalConfig {
      throw .notTheCellsConfig(
        self, reason: "its config is not in canonical form (a value was edited)")
    }
    let expected = CellID(config: resolved)
    if expected != self {
      throw .notTheCellsConfig(
        self,
        reason: "its id is not the hash of its config (the config hashes to \(expected.short))")
    }
    return resolved
  }

  /// Why `canonicalConfig` is not this id's config (`config(verifying:)`), or nil when it is.
  public func mismatch(canonicalConfig: JSONValue) -> String? {
    do {
      _ = try config(verifying: canonicalConfig)
      return nil
    } catch {
      return error.message
    }
  }
}

/// The first 12 digits of an id or a hash: how tables and messages show them.
public func shortHex(_ hex: some StringProtocol) -> String { String(hex.prefix(12)) }

/// Lowercase hexadecimal digits of `bytes`: the one hex encoder of ids and content hashes.
public func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef".utf8)
  var out: [UInt8] = []
  out.reserveCapacity(64)
  for byte in bytes {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 0x0F)])
  }
  return String(decoding: out, as: UTF8.self)
}

/// One point of a sweep: a fully resolved config and its id.
public struct Cell: Sendable, Hashable {
  public let id: CellID
  public let config: TrainingConfig

  public init(config: TrainingConfig) {
    self.id = CellID(config: config)
    self.config = config
  }

  /// The canonical resolved config that the id hashes.
  public var canonicalConfig: JSONValue { Parameters.canonical(config) }
}

/// The id among `ids` that is `prefix` or starts with it. A prefix needs at least 4 hex digits;
/// several matches are an error listing them, as is no match.
public func resolveCell(_ prefix: String, among ids: [CellID]) throws(SweepSpecError) -> CellID {
  let lowered = prefix.lowercased()
  guard (4...64).contains(lowered.utf8.count), lowered.allSatisfy(\.isASCIIHexDigit) else {
    throw .badCellPrefix(prefix)
  }
  let matches = Set(ids.filter { $0.hex.hasPrefix(lowered) }).sorted()
  guard let first = matches.first else { throw .unknownCell(prefix) }
  guard matches.count == 1 else { throw .ambiguousCell(prefix, candidates: matches) }
  return first
}

extension Character {
  /// 0-9, a-f or A-F (unlike `isHexDigit`, no fullwidth forms).
  var isASCIIHexDigit: Bool {
    guard let ascii = asciiValue else { return false }
    return (48...57).contains(ascii) || (65...70).contains(ascii) || (97...102).contains(ascii)
  }
}
