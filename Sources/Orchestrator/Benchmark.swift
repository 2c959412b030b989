// Speed of the training core on the reference cell, for `sweep bench`-style reports and for
// planning: steps per second and GFLOP/s, the median of several timed runs.

import Foundation
import TrainingCore

/// The timing of one benchmark configuration.
public struct BenchmarkResult: Sendable {
  /// What was measured, e.g. "reference θ0.95 adam track=all bn=off".
  public var name: String
  /// Median training steps per second over the repeats.
  public var stepsPerSecond: Double
  /// Median GFLOP/s by `estimatedFLOPs(of:)` (training steps plus evaluations).
  public var gflops: Double
  /// Steps per second of each repeat, in run order.
  public var samples: [Double]

  public init(name: String, stepsPerSecond: Double, gflops: Double, samples: [Double]) {
    self.name = name
    self.stepsPerSecond = stepsPerSecond
    self.gflops = gflops
    self.samples = samples
  }
}

/// Times the core on the reference cell (θ 0.95, Adam) with all five losses tracked and with only
/// the training loss tracked, batch norm off and on; each the median of `repeats` runs of
/// `iterations` steps, single-threaded. Runs are timed by the thread's CPU time where the
/// platform has it, so other processes on a shared machine distort the figures less.
public func runCoreBenchmarks(iterations: Int = 2000, repeats: Int = 5) -> [BenchmarkResult] {
  var results: [BenchmarkResult] = []
  for trackAll in [true, false] {
    for batchNorm in [false, true] {
      var config = TrainingConfig()
      config.theta = 0.95
      config.optimizer = .adam
      config.batchNorm = batchNorm
      config.iterations = max(iterations, 1)
      config.track = trackAll ? Loss.allCases : [config.loss]
      let name =
        "reference θ0.95 adam track=\(trackAll ? "all" : config.loss.rawValue) "
        + "bn=\(batchNorm ? "on" : "off")"
      var samples: [Double] = []
      for _ in 0..<max(repeats, 1) {
        let trainer = Trainer(config: config)
        var sink = 0
        let seconds = measureSeconds {
          _ = trainer.run { sink &+= $0.step }
        }
        samples.append(Double(config.iterations) / max(seconds, 1e-9))
        precondition(sink >= 0)
      }
      let stepsPerSecond = samples.sorted()[samples.count / 2]
      let flopsPerIteration = estimatedFLOPs(of: config) / Double(config.iterations)
      results.append(
        BenchmarkResult(
          name: name, stepsPerSecond: stepsPerSecond,
          gflops: stepsPerSecond * flopsPerIteration / 1e9, samples: samples))
    }
  }
  return results
}

/// Seconds `body` takes: the calling thread's CPU time if the clock is available, else wall time.
private func measureSeconds(_ body: () -> Void) -> Double {
  var start = timespec()
  var end = timespec()
  let wallStart = ContinuousClock.now
  let startOK = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start) == 0
  body()
  if startOK && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end) == 0 {
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
  }
  let elapsed = ContinuousClock.now - wallStart
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}
