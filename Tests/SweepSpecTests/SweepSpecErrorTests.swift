// Tests of how errors are written: Yams-style file errors with a caret, argument errors, the
// cell id errors.

import Foundation
import Testing

@testable import SweepSpec

@Suite struct SweepSpecErrorTests {
  @Test func fileErrorsShowTheLineAndACaretThatFollowsTabs() {
    let text = SourceText(origin: .file("s.yaml"), text: "# x\n\tkey: [1]\n")
    let error = SweepSpecError.invalid(text.location(line: 2, column: 7), message: "bad")
    #expect(error.description == "s.yaml:2:7: error: bad\n\tkey: [1]\n\t     ^")
  }

  @Test func errorsWithoutSourceTextHaveNoCaret() {
    let location = SourceLocation(origin: .file("s.yaml"), line: 3, column: 1)
    #expect(
      SweepSpecError.invalid(location, message: "bad").description == "s.yaml:3:1: error: bad")
  }

  @Test func otherErrors() throws {
    #expect(
      SweepSpecError.unreadable(path: "p.yaml", reason: "gone").description
        == "p.yaml: error: gone")
    let id = try #require(CellID(hex: String(repeating: "a", count: 64)))
    #expect(
      SweepSpecError.ambiguousCell("aaaa", candidates: [id]).description
        == "cell id prefix 'aaaa' is ambiguous; it matches \(id.hex)")
    let tooMany = SweepSpecError.tooManyCells(
      SourceLocation(origin: .argument("--set x=[1]"), line: 1, column: 1), count: 5, limit: 4)
    #expect(tooMany.location?.origin == .argument("--set x=[1]"))
    #expect(tooMany.description.hasPrefix("--set x=[1]: the sweep expands to 5 cells"))
    #expect(SweepSpecError.unknownCell("abcd").location == nil)
  }

  @Test func excerptsEscapeAndCut() {
    #expect(excerpt("a\nb\0c\td\r\u{1B}[31m\u{202E}") == "a\\nb\\0c\\td\\r\\u{1B}[31m\\u{202E}")
    #expect(excerpt("abcdef", limit: 3) == "abc… (6 bytes in all)")
    #expect(excerpt("θ") == "θ")
  }

  @Test func longSourceLinesAreShownAroundTheColumn() {
    let line = String(repeating: "a", count: 500) + "X" + String(repeating: "b", count: 500)
    let text = SourceText(origin: .file("s.yaml"), text: line + "\n")
    let error = SweepSpecError.invalid(text.location(line: 1, column: 501), message: "bad")
    let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 3)
    #expect(lines[1].count <= 102)
    let caret = lines[2].count - 1
    #expect(Array(lines[1])[caret] == "X")
  }

  @Test func controlCharactersInSourceLinesAreReplaced() {
    let text = SourceText(origin: .file("s.yaml"), text: "a\u{0}b: 1\n")
    let error = SweepSpecError.invalid(text.location(line: 1, column: 2), message: "bad")
    #expect(error.description == "s.yaml:1:2: error: bad\na\u{FFFD}b: 1\n ^")
  }

  @Test func ambiguousPrefixesListAtMostTenCandidates() throws {
    let ids = try (0..<30).map { i in
      try #require(CellID(hex: "abcd" + String(format: "%060d", i)))
    }
    let message = SweepSpecError.ambiguousCell("abcd", candidates: ids).message
    #expect(message.hasSuffix(" and 20 more"))
  }
}
