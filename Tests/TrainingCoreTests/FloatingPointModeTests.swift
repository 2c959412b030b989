// Tests for the training floating-point mode (subnormals flushed to zero), the kernel variants'
// bit identity, batch norm's moving averages in the trainer, and the numeric fingerprint.

import Testing

@testable import TrainingCore

@Test func subnormalsAreFlushedOnlyInsideTheTrainingMode() {
  #expect(!subnormalsAreFlushed())
  withSubnormalsFlushed {
    #expect(subnormalsAreFlushed())
    // A subnormal input counts as 0, and a result below the normal range comes out as 0.
    #expect(opaque(Float.leastNonzeroMagnitude) * opaque(1) == 0)
    #expect(opaque(Float.leastNormalMagnitude) / opaque(4) == 0)
  }
  #expect(!subnormalsAreFlushed())
  #expect(opaque(Float.leastNormalMagnitude) / opaque(4) > 0)
}

@Test func trainingRunsWithSubnormalsFlushed() {
  var flushed: [Bool] = []
  _ = Trainer(config: smallConfig(iterations: 3)).run { _ in flushed.append(subnormalsAreFlushed())
  }
  #expect(flushed == [true, true, true])
  #expect(!subnormalsAreFlushed())
}

/// The real cells' width and filters (32, every wide block and edge path), and 48 and 64: the
/// AVX-512 rows of 32 positions then 16, and two rows of 32 (one edge each).
@Test(arguments: [false, true], [32, 48, 64])
func kernelVariantsWriteTheSameBits(_ batchNorm: Bool, _ imageSize: Int) {
  let iterations = imageSize == 32 ? 6 : 2
  var config = smallConfig(loss: .dicefg, batchNorm: batchNorm, iterations: iterations)
  config.imageSize = imageSize
  config.filters = 4
  config.evalEvery = 2
  var results: [[StepRecord]] = []
  for kernels in KernelSet.available {
    var out: [StepRecord] = []
    _ = Trainer(config: config, kernels: kernels).run { out.append($0) }
    results.append(out)
  }
  #expect(results.allSatisfy { $0 == results[0] })
  #expect(results[0].count == iterations)
}

@Test func movingAveragesChangeOnlyTheEvaluation() {
  var moving = smallConfig(loss: .cce, batchNorm: true, iterations: 8)
  moving.evalEvery = 4
  var batch = moving
  batch.bnEval = .batch
  var a: [StepRecord] = []
  var b: [StepRecord] = []
  _ = Trainer(config: moving).run { a.append($0) }
  _ = Trainer(config: batch).run { b.append($0) }
  #expect(a.map(\.losses) == b.map(\.losses) && a.map(\.gradNorms) == b.map(\.gradNorms))
  #expect(a.compactMap(\.accuracy) != b.compactMap(\.accuracy))
}

@Test func stateDumpCarriesTheMovingStatistics() {
  let config = smallConfig(loss: .dice, batchNorm: true, iterations: 5)
  let start = Trainer.stateDump(config: config, atStep: 0)
  #expect(
    start.movingStatistics.map(\.name) == [
      "bn1/moving_mean", "bn1/moving_variance", "bn2/moving_mean", "bn2/moving_variance",
    ])
  #expect(start.movingStatistics[0].values.allSatisfy { $0 == 0 })
  #expect(start.movingStatistics[1].values.allSatisfy { $0 == 1 })
  let later = Trainer.stateDump(config: config, atStep: 3)
  #expect(later.movingStatistics[0].values != start.movingStatistics[0].values)
  #expect(Trainer.stateDump(config: smallConfig(), atStep: 1).movingStatistics.isEmpty)
}

@Test func numericFingerprintIsStableWithinAProcess() {
  #expect(numericFingerprint.count == 16)
  #expect(computeNumericFingerprint() == numericFingerprint)
  #expect(numericFingerprint.allSatisfy { $0.isHexDigit })
}
