// The five losses on softmax probabilities p (N,2) and one-hot labels y (N,2), N = B·H·W, with
// their gradients with respect to p. Sums run serially over positions in Double. Cross-entropy,
// compiled in both kernel variants, is in LossKernels.swift.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The per-channel sums the four Dice losses are made of, each serial over positions in
/// Double: one pass makes all ten (ten independent chains), and each loss reads its own.
struct DiceSums {
  /// Σ y·p, Σ y, Σ p, Σ y², Σ p², lane c for channel c.
  var intersection = SIMD2<Double>()
  var labels = SIMD2<Double>()
  var probs = SIMD2<Double>()
  var labelSquares = SIMD2<Double>()
  var probSquares = SIMD2<Double>()

  init(probs: UnsafePointer<Float>, labels: UnsafePointer<Float>, N: Int) {
    for n in 0..<N {
      let y = SIMD2<Double>(Double(labels[2 * n]), Double(labels[2 * n + 1]))
      let p = SIMD2<Double>(Double(probs[2 * n]), Double(probs[2 * n + 1]))
      intersection += y * p
      self.labels += y
      self.probs += p
      labelSquares += y * y
      probSquares += p * p
    }
  }
}

/// Returns the value of `loss` and accumulates its gradient into dProbs (N,2). `sums`, if
/// given, are `DiceSums` of these probs and labels, shared by the Dice losses of a step.
func lossForwardBackward(
  _ loss: Loss, dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int, sums: DiceSums? = nil, kernels: KernelSet = .best
) -> Float {
  switch loss {
  case .cce:
    // cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε))
    return crossEntropy(kernels, dProbs: dProbs, probs: probs, labels: labels, N: N)
  case .dice, .diceSquare, .dicefg, .dicefgSquare:
    // dice = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y + Σ p + ε)
    // dice_square = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y² + Σ p² + ε)
    // dicefg = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁ + Σ p₁ + ε)
    // dicefg_square = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁² + Σ p₁² + ε)
    return dice(
      dProbs: dProbs, probs: probs, labels: labels, N: N,
      channels: loss == .dice || loss == .diceSquare ? 0..<2 : 1..<2,
      square: loss == .diceSquare || loss == .dicefgSquare,
      sums: sums ?? DiceSums(probs: probs, labels: labels, N: N), kernels: kernels)
  }
}

/// 1 − mean over `channels` of (2Σ y·p + ε) / (Σ y^k + Σ p^k + ε), k = 2 if `square` else 1.
func dice(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int, channels: Range<Int>, square: Bool, sums: DiceSums, kernels: KernelSet = .best
) -> Float {
  let eps = Double(lossEpsilon)
  let count = Double(channels.count)
  var ratioSum = 0.0
  // Per channel, the gradient is b·u'(p) − a·y; lane 2j + c of av, bv is channel c's.
  var av = SIMD16<Float>()
  var bv = SIMD16<Float>()
  var inChannels = SIMD16<Float>() .!= 0
  for c in channels {
    let intersection = sums.intersection[c]
    let sumY = square ? sums.labelSquares[c] : sums.labels[c]
    let sumP = square ? sums.probSquares[c] : sums.probs[c]
    let numerator = 2 * intersection + eps
    let denominator = sumY + sumP + eps
    ratioSum += numerator / denominator
    // ∂/∂p of −ratio/count: −(2y/den − num·u'(p)/den²)/count, u'(p) = 2p (square) or 1.
    let a = Float(2 / denominator / count)
    let b = Float(numerator / (denominator * denominator) / count)
    for lane in stride(from: c, to: 16, by: 2) {
      av[lane] = a
      bv[lane] = b
      inChannels[lane] = true
    }
  }
  diceGradient(
    kernels, dProbs: dProbs, probs: probs, labels: labels, N: N, a: av, b: bv,
    channels: inChannels, square: square)
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
