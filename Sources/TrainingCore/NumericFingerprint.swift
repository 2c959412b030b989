// A fingerprint of the core's numerics, part of every cell id: the bits of a few steps of tiny
// fixed cells. A change to the numerics changes every id even if nobody bumps
// `coreSemanticsVersion`, and a machine whose arithmetic differs cannot pass its cells off as
// another's.

/// 16 hex digits: FNV-1a (64-bit) over every bit the fingerprint cells yield: their step records
/// (losses, gradient norms, accuracies, as bit patterns) and their outcomes, plus a probe of the
/// training floating-point mode. Computed once per process, on first use, in about a
/// millisecond in a release build.
public let numericFingerprint: String = computeNumericFingerprint()

/// The tiny cells: every loss tracked, batch norm off and on (moving and batch evaluation),
/// Adam and SGD, 8×8 images so every kernel path of the real 32×32 cells runs, three steps each
/// with an evaluation on every step.
func fingerprintConfigs() -> [TrainingConfig] {
  var configs: [TrainingConfig] = []
  for (batchNorm, evaluation) in [
    (false, BatchNormEvaluation.moving), (true, .moving), (true, .batch),
  ] {
    for optimizer in OptimizerKind.allCases {
      var config = TrainingConfig()
      config.loss = batchNorm ? .dicefg : .cce
      config.theta = 0.5
      config.batchNorm = batchNorm
      config.bnEval = evaluation
      config.optimizer = optimizer
      config.learningRate = 0.05
      config.iterations = 3
      config.batchSize = 2
      config.imageSize = 8
      config.evalImages = 2
      config.evalEvery = 1
      config.seed = 20_261_201
      configs.append(config)
    }
  }
  return configs
}

func computeNumericFingerprint() -> String {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  func mix(_ word: UInt64) {
    for shift in stride(from: 0, to: 64, by: 8) {
      hash = (hash ^ ((word >> UInt64(shift)) & 0xFF)) &* 0x0000_0100_0000_01b3
    }
  }
  for config in fingerprintConfigs() {
    let outcome = Trainer(config: config).run { record in
      mix(UInt64(record.step))
      for value in record.losses { mix(UInt64(value.bitPattern)) }
      for value in record.gradNorms { mix(UInt64(value.bitPattern)) }
      mix(record.accuracy?.bitPattern ?? 0xFFFF_FFFF_FFFF_FFFF)
    }
    mix(UInt64(outcome.stepsRun))
  }
  // The training mode itself: a result below the normal range must flush to zero.
  let probe = withSubnormalsFlushed { opaque(Float.leastNormalMagnitude) * opaque(0.25) }
  mix(UInt64(probe.bitPattern))
  let digits = Array("0123456789abcdef")
  return String((0..<16).map { digits[Int((hash >> UInt64(60 - 4 * $0)) & 0xF)] })
}
