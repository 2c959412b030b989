// Tests of how errors are written: Yams-style file errors with a caret, argument errors, the
// cell id errors.

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
}
