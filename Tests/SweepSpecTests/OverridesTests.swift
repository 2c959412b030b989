// Tests of `--set key=value` overrides on a sweep.

import Testing
import TrainingCore

@testable import SweepSpec

@Suite struct OverridesTests {
  static let base = """
    name: base
    grid:
      loss: [cce, dice]
      theta: [0.05, 0.5, 0.95]
    seeds: 2
    fixed: {iterations: 1000}
    """

  func sweep(_ overrides: [String]) throws -> Sweep {
    try Sweep.parse(text: Self.base, path: "b.yaml", overrides: overrides)
  }

  @Test func scalarOverridesAFixedValueOrAddsOne() throws {
    let sweep = try sweep(["iterations=200", "eval_every=10"])
    #expect(sweep.cells.count == 12)
    #expect(sweep.cells.allSatisfy { $0.config.iterations == 200 && $0.config.evalEvery == 10 })
    #expect(sweep.fixed.map(\.name) == ["iterations", "eval_every"])
  }

  @Test func listReplacesAnAxis() throws {
    let sweep = try sweep(["theta=[0.5]"])
    #expect(sweep.cells.count == 4)
    #expect(sweep.axes.map(\.values) == [["cce", "dice"], ["0.5"]])
  }

  @Test func scalarForAnAxisReplacesItWithOneValue() throws {
    let sweep = try sweep(["theta=0.95"])
    #expect(sweep.cells.count == 4)
    #expect(sweep.cells.allSatisfy { $0.config.theta == 0.95 })
  }

  @Test func listForANewKeyAddsAnInnermostAxis() throws {
    let sweep = try sweep(["optimizer=[adam, sgd]"])
    #expect(sweep.cells.count == 24)
    #expect(sweep.axes.map(\.name) == ["loss", "theta", "optimizer"])
    #expect(sweep.cells.prefix(4).map(\.config.optimizer) == [.adam, .adam, .sgd, .sgd])
  }

  @Test func listForAFixedKeyTurnsItIntoAnAxis() throws {
    let sweep = try sweep(["iterations=[10, 20]"])
    #expect(sweep.cells.count == 24)
    #expect(sweep.fixed.isEmpty)
  }

  @Test func seedsAndName() throws {
    #expect(try sweep(["seeds=3"]).cells.count == 18)
    #expect(try sweep(["seeds=[1, 7, 42]"]).seeds == [1, 7, 42])
    #expect(try sweep(["name=other"]).name == "other")
  }

  @Test func trackListIsAValueAndListOfListsAnAxis() throws {
    #expect(try sweep(["track=[dice, cce]"]).cells.allSatisfy { $0.config.track == [.cce, .dice] })
    #expect(try sweep(["track=[[cce], all]"]).cells.count == 24)
  }

  @Test(arguments: [
    ("theta=[2]", "--set theta=[2]: theta must be in (0, 1), got 2"),
    ("theta=[]", "--set theta=[]: axis 'theta' is empty; an axis needs at least one value"),
    ("thetaa=0.5", "--set thetaa=0.5: unknown parameter 'thetaa'; did you mean 'theta'?"),
    ("seedz=2", "--set seedz=2: unknown parameter 'seedz'; did you mean 'seeds'?"),
    ("seed=2", "--set seed=2: seed is set by seeds: use --set seeds=3 or --set seeds=[1,7]"),
    ("seeds=0", "--set seeds=0: seeds: a count must be in 1...1000000, got 0"),
    ("name=../x", "--set name=../x: the sweep name '../x' starts with '.'"),
    (
      "grid={}",
      "--set grid={}: grid can't be set with --set; set parameters one by one, e.g. "
        + "--set theta=[0.5] or --set iterations=200"
    ),
    ("iterations", "--set iterations: expected key=value"),
  ])
  func errorsNameTheFlag(text: String, expected: String) {
    let error = parseError(Self.base, overrides: [text])
    #expect(error?.description == expected)
  }

  @Test func overridesCanBringAGridUnderTheLimit() throws {
    let error = parseError(Self.base, maxCells: 4)
    #expect(error != nil)
    #expect(parseError(Self.base, overrides: ["theta=[0.5]"], maxCells: 4) == nil)
  }
}
