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
  /// A canonical config that is not the config of the cell id it is recorded under (invalid,
  /// edited, or another cell's); `reason` says which.
  case notTheCellsConfig(CellID, reason: String)

  /// Where the error is, when it is in a file, an argument or a config.
  public var location: SourceLocation? {
    switch self {
    case .invalid(let location, _), .tooManyCells(let location, _, _): location
    default: nil
    }
  }

  /// The message without the location; whatever input it quotes, one line of bounded length.
  public var message: String { excerpt(rawMessage, limit: 2000) }

  private var rawMessage: String {
    switch self {
    case .unreadable(_, let reason): reason
    case .invalid(_, let message): message
    case .tooManyCells(_, let count, let limit):
      count <= Sweep.maxCellsLimit
        ? "the sweep expands to \(count) cells, more than the limit of \(limit); "
          + "raise the limit with --max-cells \(count) or shrink the grid"
        : "the sweep expands to \(count == Int.max ? "more than \(Int.max)" : String(count)) "
          + "cells, more than the limit of \(limit); sweeps of more than "
          + "\(Sweep.maxCellsLimit) cells are not supported, shrink the grid"
    case .badCellPrefix(let prefix):
      "'\(excerpt(prefix))' is not a cell id: expected 4 to 64 hexadecimal digits"
    case .unknownCell(let prefix): "no cell id starts with '\(excerpt(prefix))'"
    case .notTheCellsConfig(_, let reason): reason
    case .ambiguousCell(let prefix, let candidates):
      "cell id prefix '\(excerpt(prefix))' is ambiguous; it matches "
        + candidates.prefix(10).map(\.hex).joined(separator: ", ")
        + (candidates.count > 10 ? " and \(candidates.count - 10) more" : "")
    }
  }

  public var description: String {
    switch self {
    case .unreadable(let path, _):
      return "\(excerpt(path, limit: 300)): error: \(message)"
    case .invalid(let location, _), .tooManyCells(let location, _, _):
      switch location.origin {
      case .file:
        var text = "\(location): error: \(message)"
        if let line = location.sourceLine {
          let shown = Self.window(of: line, around: location.column)
          text += "\n" + shown.line + "\n" + Self.caretLine(under: shown.column, in: shown.line)
        }
        return text
      case .argument, .canonicalConfig:
        return "\(location): \(message)"
      }
    default:
      return message
    }
  }

  /// At most `width` characters of `line` around `column`, with `…` where it was cut and control
  /// characters shown as `�`, and the column in what is shown: a 900 KB line or a NUL in it
  /// stays out of the terminal.
  static func window(
    of line: String, around column: Int, width: Int = 100
  ) -> (line: String, column: Int) {
    let characters = Array(line.prefix(max(column, 1) + width))
    var start = 0
    var end = characters.count
    if characters.count > width {
      start = max(0, min(column - 1 - width / 2, characters.count - width))
      end = min(characters.count, start + width)
    }
    var shown = start > 0 ? "…" : ""
    for character in characters[start..<end] {
      let isControl = character.unicodeScalars.contains {
        ($0.value < 0x20 && $0 != "\t") || (0x7F...0x9F).contains($0.value)
          || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
      }
      shown.append(isControl ? "\u{FFFD}" : character)
    }
    if end < line.count { shown += "…" }
    return (shown, column - start + (start > 0 ? 1 : 0))
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

/// User input as messages quote it: control, line-separator and bidirectional-override
/// characters escaped (`\n`, `\0`, `\u{202E}`), so that a message stays one honest line, and
/// text longer than `limit` characters cut, saying how long it was.
public func excerpt(_ text: String, limit: Int = 80) -> String {
  var out = ""
  var count = 0
  for scalar in text.unicodeScalars {
    if count == limit {
      return out + "… (\(text.utf8.count) bytes in all)"
    }
    count += 1
    switch scalar.value {
    case 0x0A: out += "\\n"
    case 0x0D: out += "\\r"
    case 0x09: out += "\\t"
    case 0x00: out += "\\0"
    case 0x01..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
      out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
    default: out.unicodeScalars.append(scalar)
    }
  }
  return out
}
