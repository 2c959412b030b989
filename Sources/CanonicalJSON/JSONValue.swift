// A small JSON value type with one canonical text form, so that hashes of configs and manifests
// are stable across processes, builds and machines.

/// A JSON value. Objects are unordered; `canonicalText` writes their keys sorted.
public enum JSONValue: Sendable, Equatable, Hashable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The value of a `Float` as the shortest decimal that round-trips the `Float`, so that
  /// `0.1 as Float` is written `0.1`, not `0.10000000149011612`. Non-finite values become `null`.
  public init(float: Float) {
    guard float.isFinite, let d = Double(float.description) else {
      self = .null
      return
    }
    self = .number(d)
  }

  /// A `Double` number; non-finite values become `null` (JSON has no NaN or infinity).
  public init(double: Double) {
    self = double.isFinite ? .number(double) : .null
  }

  public init(int: Int) { self = .number(Double(int)) }

  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var doubleValue: Double? {
    if case .number(let d) = self { return d }
    return nil
  }

  /// The number as an `Int` when it is integral and in range.
  public var intValue: Int? {
    guard case .number(let d) = self, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
    return Int(d)
  }

  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var objectValue: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }

  public var isNull: Bool { self == .null }
}

extension JSONValue {
  /// Compact canonical text: sorted keys, no spaces, shortest round-trip numbers, integral numbers
  /// without a fraction. This is the form that gets hashed.
  public var canonicalText: String {
    var out = ""
    write(to: &out, indent: nil, level: 0)
    return out
  }

  /// Canonical text laid out with two-space indentation and a final newline, for files people
  /// read (manifests). Same key order and number form as `canonicalText`.
  public var prettyText: String {
    var out = ""
    write(to: &out, indent: "  ", level: 0)
    out += "\n"
    return out
  }

  /// The canonical text of a number: integral values in the safe range are written as integers,
  /// everything else in Swift's shortest round-trip form (which is valid JSON).
  public static func numberText(_ d: Double) -> String {
    guard d.isFinite else { return "null" }
    if d == 0 { return "0" }
    if d.rounded() == d && abs(d) < 1.0e15 { return String(Int64(d)) }
    return d.description
  }

  /// A JSON string literal with the escapes JSON requires.
  public static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }

  private func write(to out: inout String, indent: String?, level: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let d): out += JSONValue.numberText(d)
    case .string(let s): out += JSONValue.quoted(s)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        newline(&out, indent, level + 1)
        item.write(to: &out, indent: indent, level: level + 1)
      }
      newline(&out, indent, level)
      out += "]"
    case .object(let members):
      if members.isEmpty {
        out += "{}"
        return
      }
      out += "{"
      for (i, key) in members.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        newline(&out, indent, level + 1)
        out += JSONValue.quoted(key)
        out += indent == nil ? ":" : ": "
        members[key]?.write(to: &out, indent: indent, level: level + 1)
      }
      newline(&out, indent, level)
      out += "}"
    }
  }

  private func newline(_ out: inout String, _ indent: String?, _ level: Int) {
    guard let indent else { return }
    out += "\n"
    for _ in 0..<level { out += indent }
  }
}
