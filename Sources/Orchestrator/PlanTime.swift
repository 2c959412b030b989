// The wall-time estimate of `sweep plan`: the plan's FLOPs per worker slot divided by this
// machine's measured speed, taken from the timings of cells it already ran, or from a short
// calibration run of the core when there are none.

import Artifacts
import Foundation
import SweepSpec
import TrainingCore

/// How fast one worker runs the core on this machine, in estimated FLOPs per second of wall time.
public struct MeasuredSpeed: Sendable, Equatable {
  public var flopsPerSecond: Double
  /// Where the figure comes from, e.g. `180 cells run here in results/paper`.
  public var source: String

  public init(flopsPerSecond: Double, source: String) {
    self.flopsPerSecond = flopsPerSecond
    self.source = source
  }
}

/// The speed of the cells this host finished under `sweepDirectory`, or else under the other
/// sweep directories of `resultsRoot`: their summed estimated FLOPs over their summed wall
/// seconds (each cell's run section), over at most `maxCells` cell manifests of one directory.
/// Cells of other hosts and diverged cells (which stop early) are left out; nil when no cell
/// qualifies.
public func measuredSpeed(sweepDirectory: String, resultsRoot: String, maxCells: Int = 300)
  -> MeasuredSpeed?
{
  let host = hostName()
  var candidates = [sweepDirectory]
  let siblings = (try? FileManager.default.contentsOfDirectory(atPath: resultsRoot)) ?? []
  candidates += siblings.sorted().map { "\(resultsRoot)/\($0)" }.filter { $0 != sweepDirectory }
  for directory in candidates {
    // Cell ids are hashes, so the first names in sorted order are a fair sample; a few hundred
    // cells pin the speed down and keep `plan` quick on a large sweep.
    let layout = SweepDirectory(directory)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: layout.cells)) ?? [])
      .filter { $0.hasSuffix(".json") }.sorted().prefix(maxCells)
    var flops = 0.0
    var wall = 0.0
    var count = 0
    for name in names {
      guard let cell = try? CellManifest.load(path: "\(layout.cells)/\(name)"),
        cell.status == .ok, cell.run["host"]?.stringValue == host,
        let seconds = cell.run["wall_seconds"]?.doubleValue, seconds > 0,
        let config = try? Parameters.config(fromCanonical: cell.config)
      else { continue }
      flops += estimatedFLOPs(of: config)
      wall += seconds
      count += 1
    }
    if count > 0 && wall > 0 {
      return MeasuredSpeed(
        flopsPerSecond: flops / wall,
        source: "measured on \(count) cell\(count == 1 ? "" : "s") run here in \(directory)")
    }
  }
  return nil
}

/// The speed of this process training the reference cell (θ 0.95, Adam, all losses tracked) for
/// at least three steps and `budget` seconds, or `maxSteps` steps: a few dozen milliseconds in a
/// release build, about a second in a debug one.
public func calibratedSpeed(budget: Double = 0.3, maxSteps: Int = 200) -> MeasuredSpeed {
  struct Enough: Error {}
  var config = TrainingConfig()
  config.theta = 0.95
  config.iterations = max(maxSteps, 2)
  config.evalEvery = config.iterations + 1
  config.track = Loss.allCases
  let clock = ContinuousClock()
  let trainer = Trainer(config: config)
  // Timed from the end of step 0, which also evaluates, to the end of the last step run.
  var start: ContinuousClock.Instant?
  var end = clock.now
  var steps = 0
  _ = try? trainer.run { _ in
    end = clock.now
    guard let from = start else {
      start = end
      return
    }
    steps += 1
    if steps >= 3 && seconds(end - from) >= budget { throw Enough() }
  }
  let wall = max(seconds(end - (start ?? end)), 1e-9)
  return MeasuredSpeed(
    flopsPerSecond: Double(steps) * flopsPerStep(of: config) / wall,
    source: "calibrated on \(steps) steps of a reference cell; no cells were run here yet")
}

/// Estimated wall seconds of the plan's pending cells: the busiest slot's FLOPs at `speed`, with
/// each worker slowed in proportion when there are more workers than cores.
public func estimatedWallSeconds(
  _ plan: Plan, speed: MeasuredSpeed,
  cores: Int = ProcessInfo.processInfo.activeProcessorCount
) -> Double {
  let busiest = plan.slotLoads.max() ?? 0
  let share = min(1, Double(max(cores, 1)) / Double(max(plan.jobs, 1)))
  return busiest / max(speed.flopsPerSecond * share, 1)
}

/// A rough duration for people: `about 40 s`, `about 4 min`, `about 1 h 20 min`.
public func roughDuration(_ seconds: Double) -> String {
  if seconds < 1 { return "under a second" }
  if seconds < 90 { return "about \(Int(seconds.rounded())) s" }
  let minutes = Int((seconds / 60).rounded())
  if minutes < 60 { return "about \(minutes) min" }
  return "about \(minutes / 60) h \(minutes % 60) min"
}
