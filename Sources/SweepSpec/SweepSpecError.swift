// The one error type of the SweepSpec module: every way a sweep file, a `--set` argument, a
// canonical config or a cell id prefix can be wrong, with what a person needs to fix it.

/// An error in sweep input. `description` is the message to print as it is, Yams-style for files:
/// `file:line:column: error: message`, then the offending line and a caret under the column;
/// `--set key=value: message` for arguments; the bare message for cell id prefixes.
public enum SweepSpecError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The sweep file could not be read (missing, unreadable, too large, not UTF-8).
  case unreadable(path: String, reason: String)
  /// Bad input at a place in a sweep file, a command-line argument or a canonical config.
  case invalid(SourceLocation, message: String)
  /// The sweep expands to more cells than the `--max-cells` limit.
  case tooManyCells(SourceLocation, count: Int, limit: Int)
  /// A cell id prefix that is not 4 to 64 hex digits.
  case badCellPrefix(String)
  /// No cell id starts with the prefix.
  case unknownCell(String)
  /// More than one cell id starts with the prefix; the candidates are sorted.
  case ambiguousCell(String, candidates: [CellID])

  /// Where the error is, when it is in a file, an argument or a config.
  public var location: SourceLocation? {
    switch self {
    case .invalid(let location, _), .tooManyCells(let location, _, _): location
    default: nil
    }
  }

  /// The message without the location.
  public var message: String {
    switch self {
    case .unreadable(_, let reason): reason
    case .invalid(_, let message): message
    case .tooManyCells(_, let count, let limit):
      "the sweep expands to \(count) cells, more than the limit of \(limit); "
        + "raise the limit with --max-cells \(count) or shrink the grid"
    case .badCellPrefix(let prefix):
      "'\(prefix)' is not a cell id: expected 4 to 64 hexadecimal digits"
    case .unknownCell(let prefix): "no cell id starts with '\(prefix)'"
    case .ambiguousCell(let prefix, let candidates):
      "cell id prefix '\(prefix)' is ambiguous; it matches "
        + candidates.map(\.hex).joined(separator: ", ")
    }
  }

  public var description: String {
    switch self {
    case .unreadable(let path, let reason):
      return "\(path): error: \(reason)"
    case .invalid(let location, _), .tooManyCells(let location, _, _):
      switch location.origin {
      case .file:
        var text = "\(location): error: \(message)"
        if let line = location.sourceLine {
          text += "\n" + line + "\n" + Self.caretLine(under: location.column, in: line)
        }
        return text
      case .argument, .canonicalConfig:
        return "\(location): \(message)"
      }
    default:
      return message
    }
  }

  /// Spaces (tabs where the line has tabs, so the caret lines up) and a caret under `column`.
  static func caretLine(under column: Int, in line: String) -> String {
    var prefix = ""
    for character in line.prefix(max(column - 1, 0)) {
      prefix += character == "\t" ? "\t" : " "
    }
    return prefix + "^"
  }
}
