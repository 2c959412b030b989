// Tests of the libyaml wrapper as seen through sweep files: scalar types, anchors and aliases,
// merge keys, duplicate keys, syntax errors with positions, and the size limits.

import Foundation
import Testing

@testable import SweepSpec

@Suite struct YAMLTests {
  @Test(arguments: [
    ("0.5", ResolvedScalar.float(0.5)),
    ("1.0e-3", .float(0.001)),
    ("1e-3", .float(0.001)),
    (".5", .float(0.5)),
    ("-2", .int(-2)),
    ("+7", .int(7)),
    ("0x1F", .int(31)),
    ("0o17", .int(15)),
    ("true", .bool(true)),
    ("False", .bool(false)),
    ("yes", .string("yes")),
    ("~", .null),
    ("", .null),
    ("adam", .string("adam")),
    ("1.2.3", .string("1.2.3")),
    ("99999999999999999999", .hugeInt("99999999999999999999")),
  ])
  func plainScalarsFollowTheCoreSchema(text: String, expected: ResolvedScalar) {
    #expect(YAMLScalar(text: text).resolved == expected)
  }

  @Test func quotedAndTaggedScalarsKeepTheirType() {
    #expect(YAMLScalar(text: "true", isPlain: false).resolved == .string("true"))
    #expect(YAMLScalar(text: "1", tag: "tag:yaml.org,2002:str").resolved == .string("1"))
    #expect(YAMLScalar(text: "1", tag: "tag:yaml.org,2002:float").resolved == .float(1))
    #expect(YAMLScalar(text: "abc", tag: "tag:yaml.org,2002:int").resolved == nil)
    #expect(YAMLScalar(text: "x", tag: "!custom").resolved == nil)
  }

  @Test func quotedTrueIsNotABool() throws {
    let error = parseError("grid: {batch_norm: [\"true\"]}")
    #expect(error?.message == "batch_norm: expected true or false, got 'true'")
  }

  @Test func anchorsAliasesAndMergeKeys() throws {
    let text = """
      x-base: &base {iterations: 200, eval_every: 50}
      x-thetas: &thetas [0.05, 0.5]
      grid:
        theta: *thetas
      fixed:
        <<: *base
        eval_every: 20
      """
    let sweep = try Sweep.parse(text: text, path: "a.yaml")
    #expect(sweep.cells.count == 2)
    #expect(sweep.axes.first?.values == ["0.05", "0.5"])
    #expect(sweep.cells.allSatisfy { $0.config.iterations == 200 && $0.config.evalEvery == 20 })
  }

  @Test func duplicateKeysAreErrorsAtTheSecondKey() {
    let error = parseError(
      """
      name: t
      grid:
        theta: [0.5]
        theta: [0.05]
      """)
    #expect(error?.location?.line == 4)
    #expect(error?.location?.column == 3)
    #expect(error?.message == "duplicate key 'theta' (first at line 3, column 3)")
  }

  @Test func syntaxErrorsCarryLibyamlsPosition() {
    let error = parseError(
      """
      name: t
      grid:
        theta: [0.5, 0.05
      fixed: {}
      """)
    #expect(error?.location?.line == 4)
    #expect(error?.location?.column == 6)
    #expect(error?.message.contains("while parsing a flow sequence at line 3, column 10") == true)
  }

  @Test func badIndentationIsASyntaxError() {
    let error = parseError("grid:\n  theta: [0.5]\n bad: 1\n")
    #expect(error?.location?.line == 3)
    #expect(error?.location?.column == 2)
  }

  @Test func aliasBombsAreRefused() {
    let text = """
      a: &a [x, x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
      """
    let error = parseError(text)
    #expect(error?.location?.line == 4)
    #expect(error?.message.contains("more than 10000 nodes") == true)
  }

  @Test func deepNestingIsRefused() {
    let text = "x-deep: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
    let error = parseError(text)
    #expect(error?.message.contains("nesting deeper than 64") == true)
  }

  @Test func oversizedInputIsRefused() {
    let text = "# " + String(repeating: "x", count: 1 << 20) + "\ngrid: {}\n"
    #expect(parseError(text)?.message.contains("more than the limit of 1048576") == true)
  }

  @Test func multipleDocumentsAreAnError() {
    let error = parseError("grid: {theta: [0.5]}\n---\ngrid: {}\n")
    #expect(error?.location?.line == 2)
    #expect(error?.location?.column == 1)
    #expect(error?.message.contains("second") == true)
  }

  @Test func unknownAliasIsAnError() {
    // libyaml itself reports undefined aliases only when composing; the event parser leaves it
    // to us.
    let error = parseError("fixed: {iterations: *nothing}")
    #expect(error?.message.contains("nothing") == true)
    #expect(error?.location?.column == 21)
  }

  @Test func invalidUTF8IsAReaderError() throws {
    // Sweep.load refuses bytes that are not UTF-8 before libyaml sees them.
    let path = FileManagerHelper.temporaryFile(bytes: [0x67, 0x72, 0xFF, 0x0A])
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(
      throws: SweepSpecError.invalid(
        SourceLocation(origin: .file(path), line: 1, column: 3),
        message: "the sweep file is not valid UTF-8: byte 0xFF here starts no character")
    ) {
      try Sweep.load(path: path)
    }
  }

  @Test(arguments: [
    ("name: !!python/object:os.system 'ls'\n", 1, 7, "'!!python/object:os.system'"),
    ("grid: !!set {theta: [0.5]}\n", 1, 7, "'!!set'"),
    ("fixed:\n  loss: !custom cce\n", 2, 9, "'!custom'"),
    ("%TAG !! tag:example.com,2000:\n---\nname: !!str x\n", 3, 7, "'tag:example.com,2000:str'"),
    ("fixed: {iterations: !!binary aGVsbG8=}\n", 1, 21, "'!!binary'"),
  ])
  func tagsOutsideTheCoreSchemaAreRefusedWhereTheyAre(
    text: String, line: Int, column: Int, tag: String
  ) {
    let error = parseError(text)
    #expect(
      error?.message.hasPrefix("unsupported YAML tag \(tag); ") == true,
      "\(String(describing: error))")
    #expect(error?.location?.line == line)
    #expect(error?.location?.column == column)
  }

  @Test func coreTagsMustFitWhatTheyTag() {
    #expect(
      parseError("name: !!int abc\n")?.message == "the tag !!int does not fit the value 'abc'")
    #expect(
      parseError("grid: !!seq {theta: [0.5]}\n")?.message == "the tag !!seq does not fit a mapping")
    #expect(
      parseError("grid: {theta: !!map [0.5]}\n")?.message == "the tag !!map does not fit a sequence"
    )
    #expect(parseError("name: !!str 2026\nfixed: !!map {iterations: !!int 5}\n") == nil)
  }
}
