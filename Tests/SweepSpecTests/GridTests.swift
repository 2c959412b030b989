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

  // MARK: - Size before expansion, indexed entries

  /// `count` values of an integer parameter, as a flow list.
  static func values(_ count: Int, from first: Int = 1) -> String {
    "[" + (first..<(first + count)).map(String.init).joined(separator: ", ") + "]"
  }

  @Test func excludesCanBringAGridOverTenMillionUnderTheLimit() throws {
    // 100^4 = 10^8 combinations; the excludes keep one filters and one eval_every value.
    let text =
      "grid:\n  iterations: \(Self.values(100))\n  filters: \(Self.values(100))\n"
      + "  eval_every: \(Self.values(100))\n  log_every: \(Self.values(100))\nexclude:\n"
      + (2...100).map { "  - {filters: \($0)}\n" }.joined()
      + (2...100).map { "  - {eval_every: \($0)}\n" }.joined()
    let sweep = try Sweep.parse(text: text, path: "big.yaml")
    #expect(sweep.cells.count == 10_000)
    #expect(sweep.cells.allSatisfy { $0.config.filters == 1 && $0.config.evalEvery == 1 })
    #expect(sweep.cells.first?.config.iterations == 1)
    #expect(sweep.cells.last?.config.logEvery == 100)
  }

  @Test func aGridOverTheLimitIsRefusedWithTheCountAfterExcludes() {
    // 210^3 = 9,261,000 combinations and 2,500 excludes that match nothing.
    let text =
      "grid:\n  iterations: \(Self.values(210))\n  eval_every: \(Self.values(210))\n"
      + "  log_every: \(Self.values(210))\n"
      + "exclude:\n" + (1...2500).map { "  - {iterations: \(5000 + $0)}\n" }.joined()
    guard case .tooManyCells(_, let count, let limit)? = parseError(text) else {
      Issue.record("expected too many cells")
      return
    }
    #expect(count == 9_261_000)
    #expect(limit == 100_000)
  }

  @Test func excludesThatLeaveThousandsAreCountedExactly() {
    // 999 excludes on a 1000 x 1000 grid, each removing one row: 1000 combinations remain.
    let text =
      "grid:\n  iterations: \(Self.values(1000))\n  eval_every: \(Self.values(1000))\n"
      + "seeds: 101\nexclude:\n" + (2...1000).map { "  - {iterations: \($0)}\n" }.joined()
    guard case .tooManyCells(_, let count, _)? = parseError(text) else {
      Issue.record("expected too many cells")
      return
    }
    #expect(count == 101_000)
  }

  @Test func excludingEveryCombinationIsAnError() {
    let text = "grid:\n  loss: [cce, dice]\nexclude:\n  - {loss: cce}\n  - {loss: dice}\n"
    let error = parseError(text)
    #expect(
      error?.message
        == "the exclude entries remove every combination of the grid; nothing would run")
    #expect(error?.location?.line == 3)
    #expect(error?.location?.column == 1)
  }

  @Test func anIncludeCanStillRunWhenExcludesRemoveTheGrid() throws {
    let text = "grid:\n  loss: [cce]\nexclude: [{loss: cce}]\ninclude: [{loss: dice}]\n"
    let sweep = try Sweep.parse(text: text, path: "i.yaml")
    #expect(sweep.cells.map(\.config.loss) == [.dice])
  }

  /// The expansion as the specification reads, one combination at a time: the plain reference
  /// the indexed expansion is held to.
  static func referenceCells(of sweep: Sweep) -> [Cell] {
    var combinations: [[String: JSONValue]] = [[:]]
    for axis in sweep.axes {
      combinations = combinations.flatMap { partial in
        axis.canonicalValues.map { value in partial.merging([axis.name: value]) { $1 } }
      }
    }
    combinations.removeAll { combination in
      sweep.excludes.contains { entry in
        entry.allSatisfy { combination[$0.name] == $0.canonicalValue }
      }
    }
    let axisNames = Set(sweep.axes.map(\.name))
    var added: [[String: JSONValue]] = []
    for entry in sweep.includes {
      var matched = false
      for index in combinations.indices {
        let fits = entry.allSatisfy {
          !axisNames.contains($0.name) || combinations[index][$0.name] == $0.canonicalValue
        }
        guard fits else { continue }
        matched = true
        for setting in entry { combinations[index][setting.name] = setting.canonicalValue }
      }
      if !matched {
        added.append(Dictionary(entry.map { ($0.name, $0.canonicalValue) }) { $1 })
      }
    }
    var cells: [Cell] = []
    var seen = Set<CellID>()
    for combination in combinations + added {
      var config = TrainingConfig()
      for setting in sweep.fixed {
        Parameters.write(setting.name, setting.canonicalValue, to: &config)
      }
      for (name, value) in combination { Parameters.write(name, value, to: &config) }
      for seed in sweep.seeds {
        config.seed = seed
        let cell = Cell(config: config)
        if seen.insert(cell.id).inserted { cells.append(cell) }
      }
    }
    return cells
  }

  @Test func indexedExpansionMatchesTheReferenceOnRandomGrids() throws {
    var random = SplitMix(seed: 2026)
    let pool: [(name: String, values: [String])] = [
      ("loss", ["cce", "dice", "dice_square", "dicefg", "dicefg_square"]),
      ("optimizer", ["adam", "sgd"]),
      ("batch_norm", ["false", "true"]),
      ("theta", ["0.05", "0.25", "0.5", "0.75", "0.95"]),
      ("filters", ["1", "2", "4", "8"]),
      ("n_conv", ["1", "2", "3"]),
    ]
    let extras = [("learning_rate", ["0.1", "0.01"]), ("iterations", ["7", "9"])]
    var compared = 0
    for _ in 0..<80 {
      let chosen = pool.filter { _ in random.next(4) > 0 }.map { axis in
        (axis.name, axis.values.filter { _ in random.next(3) > 0 })
      }.filter { !$0.1.isEmpty }
      func entry(_ keys: [(String, [String])]) -> String {
        let settings = keys.filter { _ in random.next(2) == 0 }.map { key in
          "\(key.0): \(key.1[random.next(key.1.count)])"
        }
        return settings.isEmpty ? "" : "  - {" + settings.joined(separator: ", ") + "}\n"
      }
      var text = "seeds: \(random.next(2) + 1)\n"
      if !chosen.isEmpty {
        text += "grid:\n"
        text += chosen.map { "  \($0.0): [\($0.1.joined(separator: ", "))]\n" }.joined()
      }
      let axisPool = pool.filter { axis in chosen.contains { $0.0 == axis.name } }
      let excludes = (0..<random.next(4)).map { _ in entry(axisPool) }.joined()
      if !excludes.isEmpty { text += "exclude:\n" + excludes }
      let includes = (0..<random.next(4)).map { _ in entry(axisPool + extras) }.joined()
      if !includes.isEmpty { text += "include:\n" + includes }
      let sweep: Sweep
      do {
        sweep = try Sweep.parse(text: text, path: "r.yaml")
      } catch {
        #expect(error.message.contains("remove every combination"), "\(text)\n\(error)")
        continue
      }
      let reference = Self.referenceCells(of: sweep)
      #expect(sweep.cells.map(\.id) == reference.map(\.id), "\(text)")
      #expect(sweep.cells.map(\.config) == reference.map(\.config), "\(text)")
      compared += 1
    }
    #expect(compared > 50)
  }
}

/// A small deterministic generator for randomised tests (SplitMix64).
struct SplitMix {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  /// A number in 0..<bound.
  mutating func next(_ bound: Int) -> Int {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Int(z % UInt64(bound))
  }
}
