// Tests of reading sweep files: the shipped sweeps, and every kind of error with its exact
// line, column and message.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import SweepSpec

@Suite struct SweepTests {
  @Test func paperSweepIsThePublishedGrid() throws {
    let sweep = try Sweep.load(path: sweepFile("paper"))
    #expect(sweep.name == "paper")
    #expect(sweep.cells.count == 180)
    #expect(sweep.combinations == 60)
    #expect(sweep.seeds == [1, 2, 3])
    #expect(sweep.axes.map(\.name) == ["loss", "theta", "batch_norm", "optimizer"])
    #expect(Set(sweep.cells.map(\.config.loss)) == Set(Loss.allCases))
    #expect(sweep.cells.allSatisfy { $0.config.iterations == 10_001 })
    #expect(sweep.cells.allSatisfy { $0.config.track == Loss.allCases })
    #expect(Set(sweep.cells.map(\.id)).count == 180)
  }

  @Test func specHashIsOfTheFileBytes() throws {
    let path = sweepFile("smoke")
    let sweep = try Sweep.load(path: path)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(sweep.specSHA256 == CellID.hexDigest(bytes))
    #expect(sweep.specPath == path)
  }

  @Test func smokeAndCISweepsAreSmall() throws {
    let smoke = try Sweep.load(path: sweepFile("smoke"))
    #expect((6...8).contains(smoke.cells.count))
    #expect(smoke.cells.allSatisfy { $0.config.iterations <= 500 })
    let ci = try Sweep.load(path: sweepFile("ci"))
    #expect(ci.cells.count <= 40)
    #expect(Set(ci.cells.map(\.config.loss)) == Set(Loss.allCases))
    #expect(Set(ci.cells.map(\.config.optimizer)) == Set(OptimizerKind.allCases))
    #expect(Set(ci.cells.map(\.config.batchNorm)) == [false, true])
    #expect(Set(ci.cells.map(\.config.theta)).count == 2)
    #expect(ci.cells.allSatisfy { (100...150).contains($0.config.iterations) })
  }

  @Test func nameDefaultsToTheFileName() throws {
    let sweep = try Sweep.parse(text: "grid: {theta: [0.5]}", path: "dir/my-sweep.yaml")
    #expect(sweep.name == "my-sweep")
    #expect(sweep.cells.count == 1)
    #expect(sweep.cells.first?.config.seed == 1)
  }

  @Test func numericNamesAndEmptySectionsAreAccepted() throws {
    let sweep = try Sweep.parse(text: "name: 2026\ngrid:\nfixed:\nseeds: 2\n", path: "n.yaml")
    #expect(sweep.name == "2026")
    #expect(sweep.cells.count == 2)
    #expect(parseError("name: true\n")?.message == "name: expected a string, got true")
  }

  @Test func fixedOnlySweepIsOneCellPerSeed() throws {
    let sweep = try Sweep.parse(text: "fixed: {iterations: 5}\nseeds: [1, 7, 42]", path: "f.yaml")
    #expect(sweep.cells.map(\.config.seed) == [1, 7, 42])
    #expect(sweep.fixed.map(\.name) == ["iterations"])
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var text: String
    var line: Int
    var column: Int
    var message: String
    var testDescription: String { message }
  }

  static let errorCases: [Case] = [
    Case(
      text: "grid:\n  batch_norm: [yes]\n", line: 2, column: 16,
      message: "batch_norm: expected true or false, got 'yes'"),
    Case(
      text: "name: t\ngird:\n  theta: [0.5]\n", line: 2, column: 1,
      message: "unknown key 'gird'; did you mean 'grid'? (a sweep file has name, description, "
        + "grid, seeds, fixed, include, exclude, and x-… keys for anchors)"),
    Case(
      text: "fixed: {iteratons: 5}\n", line: 1, column: 9,
      message: "unknown parameter 'iteratons'; did you mean 'iterations'?"),
    Case(
      text: "grid:\n  theta: [0.05, 1.5]\n", line: 2, column: 17,
      message: "theta must be in (0, 1), got 1.5"),
    Case(
      text: "fixed:\n  iterations: 1.0\n", line: 2, column: 15,
      message: "iterations: expected an integer, got 1.0"),
    Case(
      text: "fixed:\n  learning_rate: -1\n", line: 2, column: 18,
      message: "learning_rate must be > 0, got -1"),
    Case(
      text: "grid:\n  theta: 0.5\n", line: 2, column: 10,
      message: "axis 'theta' must be a list of values, e.g. theta: [0.5]"),
    Case(
      text: "grid:\n  theta: []\n", line: 2, column: 10,
      message: "axis 'theta' is empty; an axis needs at least one value"),
    Case(
      text: "grid:\n  theta: [0.5, 0.50]\n", line: 2, column: 16,
      message: "axis 'theta' lists 0.5 more than once"),
    Case(
      text: "grid:\n  theta: [0.5]\nfixed:\n  theta: 0.5\n", line: 4, column: 3,
      message: "'theta' is both fixed and an axis (line 2, column 3); keep one"),
    Case(
      text: "grid: {theta: [0.5]}\nexclude:\n  - {loss: cce}\n", line: 3, column: 6,
      message: "exclude: 'loss' is not an axis; exclude entries match axis values (axes: theta)"),
    Case(
      text: "grid: {theta: [0.5]}\ninclude:\n  - {los: cce}\n", line: 3, column: 6,
      message: "unknown parameter 'los'; did you mean 'loss'?"),
    Case(
      text: "grid: {seed: [1, 2]}\n", line: 1, column: 8,
      message: "seed can't be an axis; set the seeds with 'seeds: 3' or 'seeds: [1, 7]'"),
    Case(
      text: "fixed: {theta: [0.5, 0.9]}\n", line: 1, column: 16,
      message: "theta: expected a single value, got a list; to sweep over values, put theta under "
        + "grid"),
    Case(
      text: "grid: {track: [cce, dice]}\n", line: 1, column: 15,
      message:
        "each value of the track axis is a list of losses, e.g. track: [[cce], [cce, dice]]; "
        + "to track one set of losses in every cell, put track under fixed"),
    Case(
      text: "seeds: 0\n", line: 1, column: 8,
      message: "seeds: a count must be in 1...1000000, got 0"),
    Case(
      text: "seeds: [1, 2, 1]\n", line: 1, column: 15,
      message: "seeds: seed 1 is listed more than once"),
    Case(
      text: "- a\n- b\n", line: 1, column: 1,
      message: "a sweep file is a mapping with keys name, description, grid, seeds, fixed, "
        + "include, exclude"),
    Case(
      text: "# nothing\n", line: 1, column: 1,
      message: "the sweep file is empty; it needs at least a grid or fixed"),
    Case(
      text: "include: {loss: cce}\n", line: 1, column: 10,
      message: "include: expected a list of mappings, e.g. include: [{loss: cce, theta: 0.5}]"),
    Case(
      text: "iterations: 5\n", line: 1, column: 1,
      message: "unknown key 'iterations'; parameters go under 'fixed' or 'grid' (a sweep file has "
        + "name, description, grid, seeds, fixed, include, exclude, and x-… keys for anchors)"),
  ]

  @Test(arguments: errorCases)
  func errorsPointAtTheirLineAndColumn(_ c: Case) {
    let error = parseError(c.text)
    #expect(error?.message == c.message)
    #expect(error?.location?.line == c.line)
    #expect(error?.location?.column == c.column)
  }

  @Test(arguments: [
    ("\"\"", "the sweep name is empty"),
    ("a/b", "the sweep name 'a/b' may only hold letters, digits, '.', '_' and '-'"),
    ("a..b", "the sweep name 'a..b' contains '..'"),
    (".hidden", "the sweep name '.hidden' starts with '.'"),
    ("\"a b\"", "the sweep name 'a b' may only hold letters, digits, '.', '_' and '-'"),
    ("naïve", "the sweep name 'naïve' may only hold letters, digits, '.', '_' and '-'"),
    (String(repeating: "x", count: 101), "the sweep name is 101 characters, more than 100"),
  ])
  func unsafeNamesAreRefused(name: String, message: String) {
    let error = parseError("name: \(name)\ngrid: {theta: [0.5]}\n")
    #expect(error?.message == message)
    #expect(error?.location?.line == 1)
    #expect(error?.location?.column == 7)
  }

  @Test func safeNamesAreAccepted() throws {
    let sweep = try Sweep.parse(text: "name: ok-Name_1.2\n", path: "x.yaml")
    #expect(sweep.name == "ok-Name_1.2")
  }

  @Test func tooManyCellsReportsTheCountAndTheFlag() throws {
    let text = try String(contentsOfFile: sweepFile("paper"), encoding: .utf8)
    let error = parseError(text, maxCells: 100)
    #expect(
      error
        == .tooManyCells(
          SourceLocation(origin: .file("t.yaml"), line: 9, column: 1), count: 180, limit: 100))
    #expect(error?.description.contains("--max-cells") == true)
    #expect(error?.description.contains("180 cells") == true)
    #expect(parseError(text, maxCells: 180) == nil)
  }

  @Test func hugeGridsAreRefusedWithoutExpanding() {
    let values = "[" + (1...100).map(String.init).joined(separator: ", ") + "]"
    let text =
      "grid:\n  iterations: \(values)\n  filters: \(values)\n  eval_every: \(values)\n"
      + "  log_every: \(values)\n"
    guard case .tooManyCells(_, let count, _)? = parseError(text) else {
      Issue.record("expected too many cells")
      return
    }
    #expect(count == 100_000_000)
  }

  @Test func errorDescriptionShowsTheLineAndACaret() {
    let error = parseError("grid:\n  theta: [0.05, 1.5]\n")
    #expect(
      error?.description == """
        t.yaml:2:17: error: theta must be in (0, 1), got 1.5
          theta: [0.05, 1.5]
                        ^
        """)
  }

  @Test func columnsCountCharactersNotBytes() {
    let error = parseError("{description: θθθθ, fixed: {theta: 2}}")
    #expect(error?.location?.column == 36)
  }

  @Test func crlfFilesShowTheLineWithoutItsCarriageReturn() {
    let error = parseError("grid:\r\n  theta: [2]\r\n")
    #expect(
      error?.description
        == "t.yaml:2:11: error: theta must be in (0, 1), got 2\n  theta: [2]\n          ^")
  }

  @Test func missingFileIsUnreadable() {
    #expect(throws: SweepSpecError.self) { try Sweep.load(path: "/nonexistent/sweep.yaml") }
  }

  @Test(arguments: [
    ([0xFF], 3, 16),
    ([0xC3, 0x28], 3, 16),  // a lead byte without its continuation
    ([0xED, 0xA0, 0x80], 3, 16),  // an encoded surrogate
    ([0xC0, 0xAF], 3, 16),  // an overlong '/'
    ([0xCE, 0xB8, 0x80], 3, 17),  // θ, then a stray continuation byte
    ([0xF0, 0x9F, 0x98], 3, 16),  // a truncated four-byte sequence
  ])
  func invalidUTF8IsReportedAtItsFirstBadByte(bad: [UInt8], line: Int, column: Int) throws {
    let bytes = Array("name: x\ngrid:\n  theta: [0.5, ".utf8) + bad + Array("]\n".utf8)
    let path = FileManagerHelper.temporaryFile(bytes: bytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    do {
      _ = try Sweep.load(path: path)
      Issue.record("expected an error")
    } catch {
      #expect(error.location?.line == line)
      #expect(error.location?.column == column)
      #expect(error.message.hasPrefix("the sweep file is not valid UTF-8: byte 0x"))
      #expect(error.description.hasPrefix("\(path):\(line):\(column): error: "))
    }
  }

  @Test func integersBeyondTheirRangeAreErrorsNeverTheDefault() {
    let huge = parseError("grid:\n  iterations: [9000000000000000]\n")
    #expect(huge?.message == "iterations must be in 1...1000000000, got 9000000000000000")
    #expect(huge?.location?.line == 2)
    #expect(huge?.location?.column == 16)
    #expect(
      parseError("fixed: {log_every: 9007199254740993}\n")?.message
        == "log_every must be in 1...9007199254740992, got 9007199254740993")
    #expect(
      parseError("fixed: {eval_every: 99999999999999999999}\n")?.message
        == "eval_every must be in 1...9007199254740992, got 99999999999999999999")
    #expect(
      parseError("fixed: {learning_rate: 9007199254740993}\n")?.message.hasPrefix(
        "learning_rate: the integer 9007199254740993 is beyond 2^53") == true)
    #expect(
      parseError("seeds: [99999999999999999999]\n")?.message
        == "seeds: a seed must be in 0...9007199254740992, got 99999999999999999999")
    #expect(
      parseError("seeds: 99999999999999999999\n")?.message
        == "seeds: a count must be in 1...1000000, got 99999999999999999999")
  }

  @Test func largeValidIntegersAreKeptExactly() throws {
    let sweep = try Sweep.parse(
      text: "fixed: {log_every: 9007199254740992, eval_every: 9000000000000001}\n", path: "x.yaml")
    #expect(sweep.cells.first?.config.logEvery == 1 << 53)
    #expect(sweep.cells.first?.config.evalEvery == 9_000_000_000_000_001)
  }

  @Test func namesWithControlCharactersAreEscapedInMessages() {
    let error = parseError("name: \"a\\nb\\0c\"\ngrid: {theta: [0.5]}\n")
    #expect(
      error?.message == "the sweep name 'a\\nb\\0c' may only hold letters, digits, '.', '_' and '-'"
    )
    #expect(error?.description.contains("\0") == false)
    #expect(error?.description.split(separator: "\n").count == 3)
  }

  @Test func hugeKeysAndValuesAreCutInMessages() {
    // An explicit key: libyaml limits implicit ones to 1024 characters.
    let key = String(repeating: "k", count: 900_000)
    let error = parseError("? \(key)\n: 1\n")
    #expect(
      error?.message.hasPrefix(
        "unknown key '" + String(repeating: "k", count: 80) + "… (900000 bytes in all)'") == true)
    #expect((error?.description.utf8.count ?? .max) < 1000)
    let value = parseError("fixed: {loss: \(String(repeating: "x", count: 900_000))}\n")
    #expect((value?.description.utf8.count ?? .max) < 1000)
    let argument = parseError("", overrides: ["theta=" + String(repeating: "9", count: 900_000)])
    #expect((argument?.description.utf8.count ?? .max) < 1000)
  }
}
