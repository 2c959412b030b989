// Tests for the whole-cell benchmark: kinds of cell, labels, the projected wall time.

import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

@Test func kindsAreTheDistinctConfigsAtTheirFirstSeed() throws {
  let sweep = try Sweep.parse(
    text: "grid: {loss: [cce, dice], batch_norm: [false, true]}\nseeds: 3\nfixed: {iterations: 5}",
    path: "k.yaml")
  let kinds = benchmarkKinds(of: sweep.cells)
  #expect(sweep.cells.count == 12)
  #expect(kinds.count == 4)
  #expect(kinds.allSatisfy { $0.seed == 1 })
  #expect(benchmarkLabel(kinds[0], among: kinds) == "cce bn=off")
  #expect(benchmarkLabel(kinds[3], among: kinds) == "dice bn=on")
}

@Test func projectedWallTimeSchedulesLongestFirst() {
  #expect(projectedWallSeconds(cellSeconds: [4, 3, 3, 2], jobs: 2) == 6)
  #expect(projectedWallSeconds(cellSeconds: [5, 1, 1, 1], jobs: 2) == 5)
  #expect(projectedWallSeconds(cellSeconds: [1, 2, 3], jobs: 1) == 6)
  #expect(projectedWallSeconds(cellSeconds: [], jobs: 4) == 0)
}

@Test func aWholeCellIsTimed() {
  var config = TrainingConfig()
  config.iterations = 3
  config.imageSize = 8
  config.evalImages = 2
  let results = runCellBenchmarks([config], kernels: .portable, repeats: 2)
  #expect(results.count == 1 && results[0].samples.count == 2)
  #expect(results[0].seconds > 0 && results[0].stepsPerSecond > 0)
}

@Test func kindsTimedOnSeveralThreadsComeBackInOrder() {
  let kinds = [3, 4, 5].map { iterations -> TrainingConfig in
    var config = TrainingConfig()
    config.iterations = iterations
    config.imageSize = 8
    config.evalImages = 2
    return config
  }
  let results = runCellBenchmarks(kinds, kernels: .portable, threads: 2)
  #expect(results.map(\.config.iterations) == [3, 4, 5])
  #expect(results.allSatisfy { $0.seconds > 0 })
}
