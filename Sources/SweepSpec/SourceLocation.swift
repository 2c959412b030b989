// Where a piece of sweep input came from (a line and column of a file, a command-line argument,
// a canonical config), so that every error can point at it.

/// A place in the input that an error can point at. Lines and columns are 1-based.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
  /// What kind of input the place is in.
  public enum Origin: Sendable, Hashable {
    /// A sweep file, by the path it was given as.
    case file(String)
    /// A command-line argument such as `--set theta=[0.5]`, written as the user typed it.
    case argument(String)
    /// A canonical config, e.g. read back from a manifest.
    case canonicalConfig
  }

  public var origin: Origin
  public var line: Int
  public var column: Int
  /// The text the location points into, kept to show the offending line; not part of equality.
  let text: SourceText?

  public init(origin: Origin, line: Int, column: Int) {
    self.init(origin: origin, line: line, column: column, text: nil)
  }

  init(origin: Origin, line: Int, column: Int, text: SourceText?) {
    self.origin = origin
    self.line = line
    self.column = column
    self.text = text
  }

  public static func == (a: SourceLocation, b: SourceLocation) -> Bool {
    a.origin == b.origin && a.line == b.line && a.column == b.column
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(origin)
    hasher.combine(line)
    hasher.combine(column)
  }

  /// `path:line:column` for files, the argument for arguments (escaped and cut to a length).
  public var description: String {
    switch origin {
    case .file(let path): "\(excerpt(path, limit: 300)):\(line):\(column)"
    case .argument(let argument): excerpt(argument, limit: 120)
    case .canonicalConfig: "canonical config"
    }
  }

  /// `line L, column C` when `other` is in the same input, else the full description.
  func relative(to other: SourceLocation) -> String {
    if case .file = origin, origin == other.origin { return "line \(line), column \(column)" }
    return description
  }

  /// The source line the location points at, when the text is known.
  public var sourceLine: String? {
    guard let text, line >= 1, line <= text.lines.count else { return nil }
    return text.lines[line - 1]
  }
}

/// The text of one input, split into lines once, shared by every location that points into it.
final class SourceText: Sendable {
  let origin: SourceLocation.Origin
  let lines: [String]
  /// The length in bytes of each line including its terminator, to map byte offsets.
  private let byteCounts: [Int]

  init(origin: SourceLocation.Origin, text: String) {
    self.origin = origin
    var lines: [String] = []
    var byteCounts: [Int] = []
    // Split on bytes: in Swift "\r\n" is one Character, so splitting the String on "\n" would
    // miss CRLF line ends.
    for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      byteCounts.append(line.count + 1)
      let content = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
      lines.append(String(decoding: content, as: UTF8.self))
    }
    self.lines = lines
    self.byteCounts = byteCounts
  }

  /// The location of a 1-based line and column in this text.
  func location(line: Int, column: Int) -> SourceLocation {
    SourceLocation(origin: origin, line: line, column: column, text: self)
  }

  /// The location of a byte offset, for errors libyaml reports by offset.
  func location(byteOffset: Int) -> SourceLocation {
    var remaining = byteOffset
    for (index, line) in lines.enumerated() {
      let count = byteCounts[index]
      if remaining < count {
        let prefix = line.utf8.prefix(remaining)
        let column = String(decoding: prefix, as: UTF8.self).count + 1
        return location(line: index + 1, column: column)
      }
      remaining -= count
    }
    return location(line: max(lines.count, 1), column: (lines.last?.count ?? 0) + 1)
  }
}
