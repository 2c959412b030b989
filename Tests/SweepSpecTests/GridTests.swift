// Tests of grid expansion: axis order, seeds innermost, exclude and include with GitHub Actions
// matrix semantics, duplicate cells.

import CanonicalJSON
import Testing
import TrainingCore

@testable import SweepSpec

@Suite struct GridTests {
  static let paperGrid = """
    grid:
      loss: [cce, dice, dice_square, dicefg, dicefg_square]
      theta: [0.05, 0.5, 0.95]
      batch_norm: [false, true]
      optimizer: [adam, sgd]
    seeds: 3
    """

  @Test func firstAxisOutermostSeedsInnermost() throws {
    let sweep = try Sweep.parse(text: Self.paperGrid, path: "p.yaml")
    #expect(sweep.cells.count == 180)
    let first = sweep.cells.prefix(4).map(\.config)
    #expect(first.map(\.seed) == [1, 2, 3, 1])
    #expect(first.map(\.optimizer) == [.adam, .adam, .adam, .sgd])
    #expect(sweep.cells[6].config.batchNorm)
    #expect(sweep.cells[12].config.theta == 0.5)
    #expect(sweep.cells[36].config.loss == .dice)
    #expect(sweep.cells.last?.config.loss == .dicefgSquare)
  }

  @Test func excludeRemovesPartialMatches() throws {
    let text = Self.paperGrid + "\nexclude: [{optimizer: sgd, batch_norm: false}]"
    let sweep = try Sweep.parse(text: text, path: "p.yaml")
    #expect(sweep.cells.count == 135)
    #expect(!sweep.cells.contains { $0.config.optimizer == .sgd && !$0.config.batchNorm })
  }

  @Test func excludeEntriesEachRemoveTheirMatches() throws {
    let text = Self.paperGrid + "\nexclude:\n  - {loss: cce}\n  - {theta: 0.95, loss: dice}"
    let sweep = try Sweep.parse(text: text, path: "p.yaml")
    #expect(sweep.cells.count == 180 - 36 - 12)
  }

  @Test func includeThatContradictsAnAxisValueMakesANewCombination() throws {
    let text = """
      grid:
        loss: [cce, dice]
        theta: [0.05, 0.5]
      seeds: 2
      include: [{loss: cce, theta: 0.75}]
      """
    let sweep = try Sweep.parse(text: text, path: "i.yaml")
    #expect(sweep.combinations == 5)
    #expect(sweep.cells.count == 10)
    let added = sweep.cells.suffix(2).map(\.config)
    #expect(added.map(\.theta) == [0.75, 0.75])
    #expect(added.map(\.loss) == [.cce, .cce])
    #expect(added.map(\.seed) == [1, 2])
  }

  @Test func includeExtendsMatchingCombinations() throws {
    let text = """
      grid:
        loss: [cce, dice]
        optimizer: [adam, sgd]
      include: [{loss: dice, filters: 8}]
      """
    let sweep = try Sweep.parse(text: text, path: "i.yaml")
    #expect(sweep.cells.count == 4)
    #expect(sweep.cells.map(\.config.filters) == [4, 4, 8, 8])
  }

  /// The example of GitHub's documentation, with fruit → loss, animal → optimizer,
  /// color → learning_rate (green 0.1, pink 0.2), shape → filters (circle 8).
  @Test func githubActionsDocumentationExample() throws {
    let text = """
      grid:
        loss: [cce, dice]
        optimizer: [adam, sgd]
      include:
        - learning_rate: 0.1
        - {learning_rate: 0.2, optimizer: adam}
        - {loss: cce, filters: 8}
        - loss: dicefg
        - {loss: dicefg, optimizer: sgd}
      """
    let sweep = try Sweep.parse(text: text, path: "gha.yaml")
    let rows = sweep.cells.map {
      "\($0.config.loss.rawValue) \($0.config.optimizer.rawValue) \($0.config.learningRate) "
        + "\($0.config.filters)"
    }
    #expect(
      rows == [
        "cce adam 0.2 8",
        "cce sgd 0.1 8",
        "dice adam 0.2 4",
        "dice sgd 0.1 4",
        "dicefg adam 0.001 4",
        "dicefg sgd 0.001 4",
      ])
  }

  @Test func duplicateCellsAppearOnce() throws {
    let text = """
      grid:
        loss: [cce, dice]
      include:
        - {loss: dicefg}
        - {loss: dicefg, optimizer: adam}
      """
    let sweep = try Sweep.parse(text: text, path: "d.yaml")
    #expect(sweep.combinations == 4)
    #expect(sweep.cells.map(\.config.loss) == [.cce, .dice, .dicefg])
  }

  @Test func excludeRunsBeforeInclude() throws {
    let text = """
      grid:
        loss: [cce, dice]
      exclude: [{loss: cce}]
      include: [{loss: cce, batch_norm: true}]
      """
    let sweep = try Sweep.parse(text: text, path: "e.yaml")
    #expect(sweep.cells.map(\.config.loss) == [.dice, .cce])
    #expect(sweep.cells.map(\.config.batchNorm) == [false, true])
  }

  @Test func trackCanBeAnAxis() throws {
    let text = "grid:\n  track: [[cce], [dice, cce], all]\n"
    let sweep = try Sweep.parse(text: text, path: "t.yaml")
    #expect(sweep.cells.map(\.config.track) == [[.cce], [.cce, .dice], Loss.allCases])
    #expect(
      sweep.axes.first?.values == [
        "[cce]", "[cce, dice]", "[cce, dice, dice_square, dicefg, dicefg_square]",
      ])
  }

  @Test func fixedValuesApplyToEveryCellAndAxesWin() throws {
    let text = """
      grid: {loss: [cce, dice]}
      fixed: {iterations: 50, learning_rate: 1}
      include: [{loss: dice, iterations: 70}]
      """
    let sweep = try Sweep.parse(text: text, path: "f.yaml")
    #expect(sweep.cells.map(\.config.iterations) == [50, 70])
    #expect(sweep.cells.allSatisfy { $0.config.learningRate == 1 })
  }
}
