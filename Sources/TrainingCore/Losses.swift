// The five losses on softmax probabilities p (N,2) and one-hot labels y (N,2), N = B·H·W, with
// their gradients with respect to p. Sums run serially over positions in Double. The elementwise
// parts, compiled in every kernel variant, are in LossKernels.swift.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The serial Double sums the losses of a step are made of, in one pass over the positions:
/// the four Dice losses' per-channel sums (ten independent chains), and beside them, if asked
/// for, cross-entropy's Σ y·log(clip(p, ε, 1−ε)) over the labelled values in order. Each loss
/// reads its own. The chains are latency-bound, so side by side they cost about one.
struct LossSums {
  /// Σ y·p, Σ y, Σ p, Σ y², Σ p², lane c for channel c.
  var intersection = SIMD2<Double>()
  var labels = SIMD2<Double>()
  var probs = SIMD2<Double>()
  var labelSquares = SIMD2<Double>()
  var probSquares = SIMD2<Double>()
  /// cce's sum, if `crossEntropyTerms` was given.
  var crossEntropy: Double?

  /// `crossEntropyTerms`, if given, is room for N Floats (the cross-entropy terms the lanes
  /// make), and asks for cce's sum.
  init(
    probs: UnsafePointer<Float>, labels: UnsafePointer<Float>, N: Int,
    crossEntropyTerms terms: UnsafeMutablePointer<Float>? = nil, kernels: KernelSet = .best
  ) {
    let inLanes =
      terms.map { crossEntropyTerms(kernels, terms: $0, probs: probs, labels: labels, N: N) } ?? 0
    var ce = 0.0
    if let terms {
      for n in 0..<inLanes {
        add(labels + 2 * n, probs + 2 * n)
        ce += Double(terms[n])
      }
    }
    for n in inLanes..<N { add(labels + 2 * n, probs + 2 * n) }
    guard terms != nil else { return }
    // The values the lanes did not take, one labelled value at a time, in order.
    let lo = lossEpsilon
    let hi: Float = 1 - lossEpsilon
    for i in (2 * inLanes)..<(2 * N) {
      let y = labels[i]
      // 0·log(clip(p)) is 0 for every non-NaN p, and a NaN p shows in the labelled channel too.
      if y == 0 { continue }
      let p = probs[i]
      ce += Double(y * portableLog(p < lo ? lo : (p > hi ? hi : p)))
    }
    crossEntropy = ce
  }

  /// Adds one position's labels y and probabilities p (two channels each) to the Dice sums.
  @inline(__always)
  private mutating func add(_ y2: UnsafePointer<Float>, _ p2: UnsafePointer<Float>) {
    let y = SIMD2<Double>(Double(y2[0]), Double(y2[1]))
    let p = SIMD2<Double>(Double(p2[0]), Double(p2[1]))
    intersection += y * p
    labels += y
    probs += p
    labelSquares += y * y
    probSquares += p * p
  }
}

/// Returns the value of `loss` and writes its gradient to dProbs (N,2), as 0 + each value (the
/// bits of adding it to a cleared buffer). `sums`, if given, are `LossSums` of these probs and
/// labels shared by the losses of a step (with cce's sum if the loss is cce).
func lossForwardBackward(
  _ loss: Loss, dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int, sums: LossSums? = nil, kernels: KernelSet = .best
) -> Float {
  switch loss {
  case .cce:
    // cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε)); the clip passes gradient only inside [ε, 1−ε].
    let sum =
      sums?.crossEntropy
      ?? crossEntropySum(probs: probs, labels: labels, N: N, kernels: kernels)
    crossEntropyGradient(kernels, dProbs: dProbs, probs: probs, labels: labels, N: N)
    return Float(-sum / Double(N))
  case .dice, .diceSquare, .dicefg, .dicefgSquare:
    // dice = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y + Σ p + ε)
    // dice_square = 1 − ½ Σ_{c∈{0,1}} (2Σ y·p + ε) / (Σ y² + Σ p² + ε)
    // dicefg = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁ + Σ p₁ + ε)
    // dicefg_square = 1 − (2Σ y₁·p₁ + ε) / (Σ y₁² + Σ p₁² + ε)
    return dice(
      dProbs: dProbs, probs: probs, labels: labels, N: N,
      channels: loss == .dice || loss == .diceSquare ? 0..<2 : 1..<2,
      square: loss == .diceSquare || loss == .dicefgSquare,
      sums: sums ?? LossSums(probs: probs, labels: labels, N: N), kernels: kernels)
  }
}

/// cce's Σ y·log(clip(p, ε, 1−ε)) on its own, with room for its terms allocated for the call.
private func crossEntropySum(
  probs: UnsafePointer<Float>, labels: UnsafePointer<Float>, N: Int, kernels: KernelSet
) -> Double {
  let terms = UnsafeMutablePointer<Float>.allocate(capacity: max(N, 1))
  defer { terms.deallocate() }
  let sums = LossSums(
    probs: probs, labels: labels, N: N, crossEntropyTerms: terms, kernels: kernels)
  return sums.crossEntropy ?? 0
}

/// 1 − mean over `channels` of (2Σ y·p + ε) / (Σ y^k + Σ p^k + ε), k = 2 if `square` else 1.
func dice(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int, channels: Range<Int>, square: Bool, sums: LossSums, kernels: KernelSet = .best
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

/// `globalNorm` of each of the five losses' gradients g (5,P), lane `Loss.index`: the five
/// serial sums side by side in one pass (independent chains, each in its own order, so the bits
/// of five calls). Lanes 5…7 are 0.
func globalNorms(_ g: UnsafePointer<Float>, P: Int) -> SIMD8<Float> {
  var (s0, s1, s2, s3, s4) = (0.0, 0.0, 0.0, 0.0, 0.0)
  for i in 0..<P {
    let (v0, v1, v2) = (Double(g[i]), Double(g[P + i]), Double(g[2 * P + i]))
    let (v3, v4) = (Double(g[3 * P + i]), Double(g[4 * P + i]))
    s0 += v0 * v0
    s1 += v1 * v1
    s2 += v2 * v2
    s3 += v3 * v3
    s4 += v4 * v4
  }
  let roots = (s0.squareRoot(), s1.squareRoot(), s2.squareRoot(), s3.squareRoot(), s4.squareRoot())
  return SIMD8(
    Float(roots.0), Float(roots.1), Float(roots.2), Float(roots.3), Float(roots.4), 0, 0, 0)
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
