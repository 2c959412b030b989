// Hand-made report inputs for the Report tests: deterministic synthetic series and cells.

import Artifacts
import TrainingCore

@testable import Report

/// A 64-hex-character fake cell id derived from `text` with FNV-1a, so ids sort stably.
func fakeID(_ text: String) -> String {
  var out = ""
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for round in 0..<4 {
    for byte in (text + String(round)).utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    out += String(repeating: "0", count: 16 - hex.count) + hex
  }
  return out
}

/// A small deterministic pseudo-random generator for noisy series.
struct TestRandom {
  var state: UInt64
  mutating func next() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53)
  }
}

/// A config with the given grid coordinates and the rest at defaults.
func config(
  loss: Loss = .cce, theta: Double = 0.5, batchNorm: Bool = false,
  optimizer: OptimizerKind = .adam, seed: UInt64 = 1, iterations: Int = 101
) -> TrainingConfig {
  var c = TrainingConfig()
  c.loss = loss
  c.theta = theta
  c.batchNorm = batchNorm
  c.optimizer = optimizer
  c.seed = seed
  c.iterations = iterations
  c.evalEvery = max(1, iterations / 10)
  return c
}

/// A cell whose series decay noisily from `start` values; the final accuracy is `accuracy`.
/// `gradScale` multiplies every gradient norm; `cceBump` multiplies loss_cce and grad_cce over
/// steps 1...5 (an early spike). Accuracy climbs from 0.5 and is flat at `accuracy` from
/// `flatFrom` (a fraction of the run; 1 = climbs to the last step).
func cell(
  _ c: TrainingConfig, accuracy: Double? = 0.99, status: CellStatus = .ok, gradScale: Double = 1,
  cceBump: Double = 1, tracked: [Loss] = Loss.allCases, flatFrom: Double = 1
) -> ReportCell {
  var random = TestRandom(state: UInt64(c.loss.index + 1) &* 977 &+ c.seed)
  let steps = Array(0..<c.iterations)
  var losses: [Loss: [Float?]] = [:]
  var grads: [Loss: [Float?]] = [:]
  for loss in tracked {
    var lossValues: [Float?] = []
    var gradValues: [Float?] = []
    for step in steps {
      let decay = 1 / (1 + Double(step) / 50)
      var l = (0.2 + 0.5 * decay) * (0.9 + 0.2 * random.next())
      var g = gradScale * (0.001 + 0.1 * decay) * (0.5 + random.next())
      if loss == .cce && (1...5).contains(step) {
        l *= cceBump
        g *= cceBump
      }
      lossValues.append(Float(l))
      gradValues.append(Float(g))
    }
    losses[loss] = lossValues
    grads[loss] = gradValues
  }
  var points: [AccuracyPoint] = []
  if let accuracy {
    for step in stride(from: 0, to: c.iterations, by: c.evalEvery) {
      let progress = min(1, Double(step) / (flatFrom * Double(max(1, c.iterations - 1))))
      points.append(AccuracyPoint(step: step, value: 0.5 + (accuracy - 0.5) * progress))
    }
    points.append(AccuracyPoint(step: c.iterations - 1, value: accuracy))
  }
  let series = CellSeries(steps: steps, losses: losses, gradNorms: grads, accuracy: points)
  let id = fakeID("\(c.loss) \(c.theta) \(c.batchNorm) \(c.optimizer) \(c.seed) \(c.iterations)")
  return ReportCell(
    id: id, config: c, status: status, series: status == .missing ? CellSeries() : series)
}
