// Tests for the FLOP estimates.

import Testing

@testable import TrainingCore

@Test func flopEstimatesScaleWithTheWork() {
  var config = TrainingConfig()
  let full = flopsPerStep(of: config)
  // Reference cell: ~8 MFLOP per step with all five losses backpropagated.
  #expect(full > 7e6 && full < 1e7)
  config.track = [.cce]
  let single = flopsPerStep(of: config)
  #expect(single < full / 3)
  config.iterations = 10
  config.evalEvery = 5
  let evaluation = forwardFLOPs(of: config, images: config.evalImages)
  #expect(estimatedFLOPs(of: config) == 10 * single + 2 * evaluation)
}
