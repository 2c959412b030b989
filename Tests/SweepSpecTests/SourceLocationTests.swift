// Tests of source locations: byte offsets to lines and columns, and how they are written.

import Testing

@testable import SweepSpec

@Suite struct SourceLocationTests {
  @Test func byteOffsetsBecomeLinesAndCharacterColumns() {
    let text = SourceText(origin: .file("x.yaml"), text: "ab\nθé: 1\r\nlast")
    #expect(text.lines == ["ab", "θé: 1", "last"])
    let start = text.location(byteOffset: 0)
    #expect((start.line, start.column) == (1, 1))
    let afterTheta = text.location(byteOffset: 3 + 2)
    #expect((afterTheta.line, afterTheta.column) == (2, 2))
    let last = text.location(byteOffset: 3 + 9 + 2)
    #expect((last.line, last.column) == (3, 3))
  }

  @Test func descriptionsAndRelativeLocations() {
    let text = SourceText(origin: .file("x.yaml"), text: "a\nb\n")
    let a = text.location(line: 2, column: 3)
    #expect(a.description == "x.yaml:2:3")
    #expect(a.sourceLine == "b")
    #expect(a.relative(to: text.location(line: 1, column: 1)) == "line 2, column 3")
    let argument = SourceLocation(origin: .argument("--set a=1"), line: 1, column: 1)
    #expect(argument.description == "--set a=1")
    #expect(a.relative(to: argument) == "x.yaml:2:3")
    #expect(argument.relative(to: a) == "--set a=1")
    #expect(argument.sourceLine == nil)
  }

  @Test func equalityIgnoresTheText() {
    let text = SourceText(origin: .file("x.yaml"), text: "a\n")
    #expect(
      text.location(line: 1, column: 1)
        == SourceLocation(origin: .file("x.yaml"), line: 1, column: 1))
  }
}
