// The five losses on softmax probabilities p (N,2) and one-hot labels y (N,2), N = B·H·W, with
// their gradients with respect to p. Sums run serially over positions in Double.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The ε of the losses (Keras's backend epsilon), in Float.
let lossEpsilon: Float = 1e-7

/// Returns the value of `loss` and accumulates its gradient into dProbs (N,2).
func lossForwardBackward(
  _ loss: Loss, dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int
) -> Float {
  switch loss {
  case .cce:
    // cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε))
    return crossEntropy(dProbs: dProbs, probs: probs, labels: labels, N: N)
  case .dice:
    // dice = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y + Σ p + ε)
    return dice(dProbs: dProbs, probs: probs, labels: labels, N: N, channels: 0..<2, square: false)
  case .diceSquare:
    // dice_square = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y² + Σ p² + ε)
    return dice(dProbs: dProbs, probs: probs, labels: labels, N: N, channels: 0..<2, square: true)
  case .dicefg:
    // dicefg = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁ + Σ p₁ + ε)
    return dice(dProbs: dProbs, probs: probs, labels: labels, N: N, channels: 1..<2, square: false)
  case .dicefgSquare:
    // dicefg_square = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁² + Σ p₁² + ε)
    return dice(dProbs: dProbs, probs: probs, labels: labels, N: N, channels: 1..<2, square: true)
  }
}

/// cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε)); the clip passes gradient only inside [ε, 1−ε].
func crossEntropy(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int
) -> Float {
  let lo = lossEpsilon
  let hi: Float = 1 - lossEpsilon
  let invN = 1 / Float(N)
  var sum = 0.0
  var i = 0
  // Eight values at a time: logs and gradients in lanes, then the same serial Double sum (an
  // unlabelled lane adds +0, which leaves a sum that starts at +0 unchanged bit for bit).
  while i + 8 <= 2 * N {
    let y = load8(labels + i)
    let p = load8(probs + i)
    let labelled = y .!= 0
    let clipped = p.replacing(with: lo, where: p .< lo).replacing(with: hi, where: p .> hi)
    let terms = SIMD8<Float>().replacing(with: y * portableLog(clipped), where: labelled)
    for lane in 0..<8 { sum += Double(terms[lane]) }
    let d = load8(dProbs + i)
    let inside = labelled .& (p .>= lo) .& (p .<= hi)
    store8(d.replacing(with: d + -(y / p) * invN, where: inside), dProbs + i)
    i += 8
  }
  for i in i..<(2 * N) {
    let y = labels[i]
    // 0·log(clip(p)) is 0 for every non-NaN p, and a NaN p shows in the labelled channel too.
    if y == 0 { continue }
    let p = probs[i]
    let clipped = p < lo ? lo : (p > hi ? hi : p)
    sum += Double(y * portableLog(clipped))
    if p >= lo && p <= hi { dProbs[i] += -(y / p) * invN }
  }
  return Float(-sum / Double(N))
}

/// 1 − mean over `channels` of (2Σ y·p + ε) / (Σ y^k + Σ p^k + ε), k = 2 if `square` else 1.
func dice(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int, channels: Range<Int>, square: Bool
) -> Float {
  let eps = Double(lossEpsilon)
  let count = Double(channels.count)
  var ratioSum = 0.0
  for c in channels {
    var intersection = 0.0
    var sumY = 0.0
    var sumP = 0.0
    for n in 0..<N {
      let y = Double(labels[2 * n + c])
      let p = Double(probs[2 * n + c])
      intersection += y * p
      sumY += square ? y * y : y
      sumP += square ? p * p : p
    }
    let numerator = 2 * intersection + eps
    let denominator = sumY + sumP + eps
    ratioSum += numerator / denominator
    // ∂/∂p of −ratio/count: −(2y/den − num·u'(p)/den²)/count, u'(p) = 2p (square) or 1.
    let a = Float(2 / denominator / count)
    let b = Float(numerator / (denominator * denominator) / count)
    for n in 0..<N {
      let i = 2 * n + c
      let du: Float = square ? 2 * probs[i] : 1
      dProbs[i] += b * du - a * labels[i]
    }
  }
  return Float(1 - ratioSum / count)
}

/// The global L2 norm √(Σ g²) of `count` gradient values, summed serially in Double.
func globalNorm(_ g: UnsafePointer<Float>, count: Int) -> Float {
  var sum = 0.0
  for i in 0..<count {
    let v = Double(g[i])
    sum += v * v
  }
  return Float(sum.squareRoot())
}
