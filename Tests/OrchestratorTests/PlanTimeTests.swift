// Tests of `sweep plan`'s wall-time estimate: measured speed, calibration, and the arithmetic.

import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

private func sweep() throws -> Sweep {
  try Sweep.parse(
    text: "name: t\ngrid:\n  iterations: [3, 5]\nfixed:\n  eval_every: 2\n", path: "t.yaml")
}

@Test(arguments: [
  (0.2, "under a second"), (40, "about 40 s"), (89, "about 89 s"), (240, "about 4 min"),
  (4800, "about 1 h 20 min"),
])
func roughDurationsReadAsPeopleSayThem(seconds: Double, text: String) {
  #expect(roughDuration(seconds) == text)
}

@Test func theEstimateIsTheBusiestSlotAtTheMeasuredSpeed() throws {
  let plan = Plan(sweep: try sweep(), sweepDirectory: "/nonexistent", shard: nil, jobs: 2)
  let speed = MeasuredSpeed(flopsPerSecond: 1e6, source: "test")
  let busiest = try #require(plan.slotLoads.max())
  #expect(estimatedWallSeconds(plan, speed: speed, cores: 2) == busiest / 1e6)
  // Two workers on one core each run at half speed.
  #expect(estimatedWallSeconds(plan, speed: speed, cores: 1) == busiest / 5e5)
}

@Test func theSpeedIsMeasuredFromThisHostsCells() throws {
  let root = FileManager.default.temporaryDirectory.appendingPathComponent(
    "plantime-\(UUID().uuidString)"
  ).path
  defer { try? FileManager.default.removeItem(atPath: root) }
  let cells = try sweep().cells
  #expect(measuredSpeed(sweepDirectory: "\(root)/t", resultsRoot: root) == nil)
  for (cell, host) in zip(cells, [hostName(), "elsewhere"]) {
    let writer = try CellWriter(
      directory: SweepDirectory("\(root)/other"), id: cell.id,
      canonicalConfig: cell.canonicalConfig,
      config: cell.config)
    _ = try writer.finish(
      status: .ok, stepsRun: 0,
      run: .object(["host": .string(host), "wall_seconds": .number(2)]))
  }
  let speed = try #require(measuredSpeed(sweepDirectory: "\(root)/t", resultsRoot: root))
  #expect(speed.flopsPerSecond == estimatedFLOPs(of: cells[0].config) / 2)
  #expect(speed.source == "measured on 1 cell run here in \(root)/other")
}

@Test func calibrationRunsAFewStepsOfTheCore() {
  let speed = calibratedSpeed(budget: 0, maxSteps: 4)
  #expect(speed.flopsPerSecond > 0)
  #expect(speed.source.hasPrefix("calibrated on 3 steps"))
}
