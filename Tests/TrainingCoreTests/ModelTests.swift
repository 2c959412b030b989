// Whole-network gradient checks for every loss, batch norm on and off, and initialisation.

import Testing

@testable import TrainingCore

private struct Case: Sendable, CustomStringConvertible {
  var loss: Loss
  var batchNorm: Bool
  var description: String { "\(loss.rawValue) bn=\(batchNorm)" }
}

private let cases = [false, true].flatMap { bn in
  Loss.allCases.map { Case(loss: $0, batchNorm: bn) }
}

/// The loss value and parameter gradient of the network on a fixed tiny batch.
private func lossAndGradient(
  _ config: TrainingConfig, _ params: [Float], _ input: [Float], _ labels: [Float]
) -> (Float, [Float]) {
  let layout = ModelLayout(config: config)
  let acts = Activations(
    layout: layout, B: config.batchSize, H: config.imageSize, W: config.imageSize)
  let grads = ActivationGradients(layout: layout, N: acts.N)
  for i in 0..<acts.N { acts.input[i] = input[i] }
  for i in 0..<(2 * acts.N) { acts.labels[i] = labels[i] }
  var dParams = [Float](repeating: 0, count: params.count)
  let value = params.withUnsafeBufferPointer { p in
    modelForward(params: p.start, layout: layout, acts: acts)
    let value = lossForwardBackward(
      config.loss, dProbs: grads.dProbs, probs: acts.probs, labels: acts.labels, N: acts.N)
    softmaxBackward(
      dLogits: grads.dLogits, dProbs: grads.dProbs, probs: acts.probs, N: acts.N, C: 2)
    dParams.withUnsafeMutableBufferPointer { d in
      modelBackward(
        dParams: d.start, grads: grads, params: p.start, layout: layout, acts: acts)
    }
    return value
  }
  return (value, dParams)
}

@Test(arguments: cases)
private func modelGradientsMatchFiniteDifferences(_ c: Case) {
  var config = TrainingConfig()
  config.loss = c.loss
  config.batchNorm = c.batchNorm
  config.batchSize = 2
  config.imageSize = 4
  config.filters = 3
  let layout = ModelLayout(config: config)
  var rng = Xoshiro256StarStar(seed: 3, stream: .weights)
  var params = [Float](repeating: 0, count: layout.parameterCount)
  params.withUnsafeMutableBufferPointer {
    initializeParameters($0.start, layout: layout, rng: &rng)
  }
  // Non-trivial biases, γ and β so every parameter's gradient path is exercised.
  for entry in layout.entries where !entry.name.hasSuffix("/kernel") {
    let noise = randomArray(entry.count, seed: UInt64(entry.offset), lo: -0.2, hi: 0.2)
    for i in 0..<entry.count { params[entry.offset + i] += noise[i] }
  }
  let input = randomArray(32, seed: 51, lo: 0, hi: 1)
  let labels = oneHot(input.map { $0 > 0.5 })
  let (_, analytic) = lossAndGradient(config, params, input, labels)
  // Loss values are O(1) in Float (rounding ~6e-8), so with h = 3e-4 the difference quotient
  // carries ~1e-4 of noise. Batch norm centres pre-activations on the ReLU kink, and a larger h
  // steps across it (at h = 1e-3 one weight is already 40% off); at 3e-4 every case is within
  // 0.2 of the tolerance. A wrong term is off by far more than 5e-4 + 2%.
  let numeric = numericalGradient(params, h: 3e-4) {
    Double(lossAndGradient(config, $0, input, labels).0)
  }
  #expect(worstMismatch(analytic, numeric, atol: 5e-4, rtol: 2e-2) <= 1)
  #expect(analytic.contains { $0 != 0 })
}

@Test func parameterLayoutAndGlorotInit() {
  var config = TrainingConfig()
  config.batchNorm = true
  let layout = ModelLayout(config: config)
  #expect(
    layout.entries.map(\.name) == [
      "conv1/kernel", "bn1/gamma", "bn1/beta", "conv2/kernel", "bn2/gamma", "bn2/beta",
      "output/kernel", "output/bias",
    ])
  #expect(layout.parameterCount == 36 + 8 + 144 + 8 + 8 + 2)
  var rng = Xoshiro256StarStar(seed: 0, stream: .weights)
  var params = [Float](repeating: 9, count: layout.parameterCount)
  params.withUnsafeMutableBufferPointer {
    initializeParameters($0.start, layout: layout, rng: &rng)
  }
  let limit1 = Float((6.0 / (9 + 36)).squareRoot())
  let conv1 = params[0..<36]
  #expect(conv1.allSatisfy { abs($0) <= limit1 } && conv1.contains { abs($0) > limit1 / 2 })
  #expect(params[36..<40].allSatisfy { $0 == 1 } && params[40..<44].allSatisfy { $0 == 0 })
  #expect(params[(layout.parameterCount - 2)...].allSatisfy { $0 == 0 })
}

@Test func correctPixelsCountsArgmaxMatchesWithTiesAndNaNPredictingBackground() {
  // 21 positions: two blocks of eight in lanes and five one at a time.
  var logits = randomArray(42, seed: 91)
  logits[2] = logits[3]  // a tie predicts class 0
  logits[5] = .nan  // so does a NaN
  logits[40] = .nan
  let labels = oneHot((0..<21).map { $0 % 3 != 0 })
  var correct = 0
  for n in 0..<21 {
    let predicted = logits[2 * n + 1] > logits[2 * n] ? 1 : 0
    if predicted == (labels[2 * n + 1] > 0.5 ? 1 : 0) { correct += 1 }
  }
  #expect(correctPixels(logits: logits, labels: labels, N: 21) == correct)
  #expect(correct > 0 && correct < 21)
}
