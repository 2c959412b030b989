// Tests for the five losses: hand-computed values and gradients against central differences.

import Testing

@testable import TrainingCore

/// (value, dProbs) of `loss` on probs (N,2) and labels (N,2).
/// A loss's value and gradient on its own, or (`shared`) from the `LossSums` a training step
/// makes for all its losses at once.
private func evaluate(
  _ loss: Loss, _ probs: [Float], _ labels: [Float], kernels: KernelSet = .best,
  shared: Bool = false
) -> (Float, [Float]) {
  let positions = probs.count / 2
  var d = [Float](repeating: 0, count: probs.count)
  var terms = [Float](repeating: .nan, count: positions)
  let sums =
    shared
    ? terms.withUnsafeMutableBufferPointer {
      LossSums(
        probs: probs, labels: labels, N: positions, crossEntropyTerms: $0.start, kernels: kernels)
    } : nil
  let value = d.withUnsafeMutableBufferPointer {
    lossForwardBackward(
      loss, dProbs: $0.start, probs: probs, labels: labels, N: positions, sums: sums,
      kernels: kernels)
  }
  return (value, d)
}

private let labels = oneHot([true, false, false, true, false, false])

@Test(arguments: Loss.allCases)
func perfectPredictionHasNearZeroLoss(_ loss: Loss) {
  let (value, _) = evaluate(loss, labels, labels)
  switch loss {
  case .cce:
    // Every term is −log(clip(1)) = −log(1 − 1e-7) ≈ 1.19e-7 (1 − 1e-7 rounds to 1 − 2^-23 in Float).
    #expect(abs(value - 1.192_092_9e-7) < 1e-12)
  default:
    // (2S + ε)/(S + S + ε) = 1 exactly.
    #expect(value == 0)
  }
}

@Test func uniformPredictionValues() {
  let probs = [Float](repeating: 0.5, count: labels.count)
  // 2 of 6 pixels are foreground: Σy₁ = 2, Σy₀ = 4, Σp_c = 3, Σp_c² = 1.5, Σy·p = 0.5·Σy.
  let eps = 1e-7
  let ratio0 = (2 * 2.0 + eps) / (4 + 3 + eps)
  let ratio1 = (2 * 1.0 + eps) / (2 + 3 + eps)
  let ratio0Square = (2 * 2.0 + eps) / (4 + 1.5 + eps)
  let ratio1Square = (2 * 1.0 + eps) / (2 + 1.5 + eps)
  #expect(evaluate(.cce, probs, labels).0 == Float(0.693_147_180_559_945_3))
  #expect(evaluate(.dice, probs, labels).0 == Float(1 - (ratio0 + ratio1) / 2))
  #expect(evaluate(.diceSquare, probs, labels).0 == Float(1 - (ratio0Square + ratio1Square) / 2))
  #expect(evaluate(.dicefg, probs, labels).0 == Float(1 - ratio1))
  #expect(evaluate(.dicefgSquare, probs, labels).0 == Float(1 - ratio1Square))
}

@Test func emptyForeground() {
  let background = oneHot([false, false, false, false])
  // Predicting no foreground at all: ε/ε = 1, so the foreground dice is 0.
  #expect(evaluate(.dicefg, background, background).0 == 0)
  #expect(evaluate(.dicefgSquare, background, background).0 == 0)
  // Predicting 0.5 everywhere: 1 − ε/(2 + ε) = 0.99999995, which is 0.99999994 in Float.
  let half = [Float](repeating: 0.5, count: 8)
  #expect(evaluate(.dicefg, half, background).0 == Float(1 - 1e-7 / (2 + 1e-7)))
  #expect(evaluate(.dicefgSquare, half, background).0 == Float(1 - 1e-7 / (1 + 1e-7)))
}

@Test func crossEntropyClipPassesNoGradientOutside() {
  let probs: [Float] = [1e-9, 1, 0.5, 0.5]
  let y = oneHot([false, true])
  let (value, d) = evaluate(.cce, probs, y)
  // Pixel 0: label 0, p₀ = 1e-9 clipped to 1e-7: −log(1e-7) = 16.118; pixel 1: log 2.
  #expect(abs(value - Float((16.118_095_65 + 0.693_147_18) / 2)) < 1e-5)
  #expect(d == [0, 0, 0, -1])
}

@Test(arguments: Loss.allCases)
func lossGradientsMatchFiniteDifferences(_ loss: Loss) {
  let y = oneHot([true, false, false, true, false, true, false, false])
  let probs = randomArray(16, seed: 41, lo: 0.05, hi: 0.95)
  let (_, d) = evaluate(loss, probs, y)
  // Smooth in p away from the clip bounds; values O(1). h = 1e-3 gives truncation ~1e-6 and Float
  // rounding of the loss (~1e-7) contributes ~1e-4.
  let n = numericalGradient(probs, h: 1e-3) { Double(evaluate(loss, $0, y).0) }
  #expect(worstMismatch(d, n, atol: 5e-4, rtol: 1e-2) <= 1)
}

@Test func globalNormOfKnownVector() {
  #expect(globalNorm([3, 4, 0, 12], count: 4) == 13)
  #expect(globalNorm([.nan, 1], count: 2).isNaN)
  #expect(globalNorm([.infinity, 1], count: 2) == .infinity)
  // Five at once: the bits of five calls.
  let g = randomArray(5 * 37, seed: 52, lo: -3, hi: 3)
  let norms = globalNorms(g, P: 37)
  for k in 0..<5 {
    let one = Array(g[(37 * k)..<(37 * (k + 1))])
    #expect(norms[k].bitPattern == globalNorm(one, count: 37).bitPattern, "loss \(k)")
  }
  #expect(norms[5] == 0 && norms[6] == 0 && norms[7] == 0)
}

/// cce one value at a time, as the formula reads: the reference for the lane version.
private func crossEntropyReference(_ probs: [Float], _ labels: [Float]) -> (Float, [Float]) {
  let n = probs.count / 2
  var d = [Float](repeating: 0, count: probs.count)
  var sum = 0.0
  for i in 0..<probs.count where labels[i] != 0 {
    let p = probs[i]
    let clipped = min(max(p, lossEpsilon), 1 - lossEpsilon)
    sum += Double(labels[i] * portableLog(p.isNaN ? p : clipped))
    if p >= lossEpsilon && p <= 1 - lossEpsilon { d[i] += -(labels[i] / p) * (1 / Float(n)) }
  }
  return (Float(-sum / Double(n)), d)
}

@Test func crossEntropyLanesGiveTheReferenceBits() {
  // 23 positions: two blocks of eight in lanes and seven one at a time; clipped values too.
  // Labels that are not one-hot (a second block with both or neither channel labelled) leave
  // the lanes for the one-at-a-time path.
  let oneHotLabels = oneHot((0..<23).map { $0 % 3 == 0 })
  var otherLabels = oneHotLabels
  otherLabels.replaceSubrange(16..<20, with: [1, 1, 0, 0])
  var probs = randomArray(46, seed: 43, lo: 0, hi: 1)
  probs.replaceSubrange(0..<6, with: [1e-9, 1, 1, 1e-12, 0.5, 0.5])
  // Every kernel variant, alone and from the sums a step shares (the terms in lanes, summed
  // beside the Dice sums).
  for kernels in KernelSet.available {
    for shared in [false, true] {
      for (flushed, y) in [(false, oneHotLabels), (true, oneHotLabels), (false, otherLabels)] {
        func run() -> (Float, [Float]) {
          evaluate(.cce, probs, y, kernels: kernels, shared: shared)
        }
        let (value, d) = flushed ? withSubnormalsFlushed(run) : run()
        let (referenceValue, referenceD) = crossEntropyReference(probs, y)
        #expect(value.bitPattern == referenceValue.bitPattern, "\(kernels), shared \(shared)")
        #expect(d.map(\.bitPattern) == referenceD.map(\.bitPattern), "\(kernels)")
      }
    }
  }
}

/// A Dice loss one value at a time, as the formula reads: the reference for the lane version.
private func diceReference(_ loss: Loss, _ probs: [Float], _ labels: [Float]) -> (Float, [Float]) {
  let channels = loss == .dice || loss == .diceSquare ? 0..<2 : 1..<2
  let square = loss == .diceSquare || loss == .dicefgSquare
  let eps = Double(lossEpsilon)
  var d = [Float](repeating: 0, count: probs.count)
  var ratioSum = 0.0
  for c in channels {
    var intersection = 0.0
    var sumY = 0.0
    var sumP = 0.0
    for n in 0..<(probs.count / 2) {
      let (y, p) = (Double(labels[2 * n + c]), Double(probs[2 * n + c]))
      intersection += y * p
      sumY += square ? y * y : y
      sumP += square ? p * p : p
    }
    let numerator = 2 * intersection + eps
    let denominator = sumY + sumP + eps
    ratioSum += numerator / denominator
    let count = Double(channels.count)
    let a = Float(2 / denominator / count)
    let b = Float(numerator / (denominator * denominator) / count)
    for i in stride(from: c, to: probs.count, by: 2) {
      d[i] += b * (square ? 2 * probs[i] : 1) - a * labels[i]
    }
  }
  return (Float(1 - ratioSum / Double(channels.count)), d)
}

@Test(arguments: [Loss.dice, .diceSquare, .dicefg, .dicefgSquare])
func diceLanesGiveTheReferenceBits(_ loss: Loss) {
  // 23 positions: two blocks of eight in lanes and seven one at a time.
  let y = oneHot((0..<23).map { $0 % 3 == 0 })
  let probs = randomArray(46, seed: 47, lo: 0, hi: 1)
  let (referenceValue, referenceD) = diceReference(loss, probs, y)
  // Alone, and from the sums a step shares with cross-entropy's chain beside them.
  for shared in [false, true] {
    let (value, d) = evaluate(loss, probs, y, shared: shared)
    #expect(value.bitPattern == referenceValue.bitPattern, "shared \(shared)")
    #expect(d.map(\.bitPattern) == referenceD.map(\.bitPattern), "shared \(shared)")
  }
}
