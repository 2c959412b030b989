// Cross-entropy's terms on softmax probabilities p (N,2) and labels y (N,2), N = B·H·W, and its
// gradient with respect to p, and the Dice losses' gradient: compiled in every kernel variant
// (Kernels.swift), like the other elementwise kernels. The sums, the Dice losses and the choice
// by name are in Losses.swift.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The ε of the losses (Keras's backend epsilon), in Float.
let lossEpsilon: Float = 1e-7

/// cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε)) is made of three parts: these terms, their serial
/// Double sum (`LossSums`, beside the Dice losses' sums) and the gradient below.
/// terms[n] = y·log(clip(p, ε, 1−ε)) of position n's labelled channel, eight positions at a time
/// in lanes, for as long as every position has exactly one labelled channel (one-hot labels);
/// returns how many positions it took (a multiple of 8), from the first. The values the lanes do
/// not take are summed one at a time after them. No sum runs here, so the logs of consecutive
/// positions are independent work the core can overlap.
package func crossEntropyTerms(
  terms: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int
) -> Int {
  let lo = lossEpsilon
  let hi: Float = 1 - lossEpsilon
  var n = 0
  while n + 8 <= N {
    let y = load16(labels + 2 * n)
    let p = load16(probs + 2 * n)
    let first = firstOfPairs(y) .!= 0
    guard all(first .^ (secondOfPairs(y) .!= 0)) else { break }  // other labels: one at a time
    let yl = secondOfPairs(y).replacing(with: firstOfPairs(y), where: first)
    let pl = secondOfPairs(p).replacing(with: firstOfPairs(p), where: first)
    let clipped = pl.replacing(with: lo, where: pl .< lo).replacing(with: hi, where: pl .> hi)
    store8(yl * portableLog(clipped), terms + n)
    n += 8
  }
  return n
}

/// dProbs (N,2) = 0 + −(y/p)/N where y ≠ 0 and p is inside [ε, 1−ε], else 0 (the clip passes no
/// gradient outside it): cce's gradient, written as the bits of adding it to a cleared buffer,
/// so the buffer needs no clearing; sixteen values at a time, each the bits of one at a time.
package func crossEntropyGradient(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int
) {
  let lo = lossEpsilon
  let hi: Float = 1 - lossEpsilon
  let invN = 1 / Float(N)
  var i = 0
  while i + 16 <= 2 * N {
    let y = load16(labels + i)
    let p = load16(probs + i)
    let zero = SIMD16<Float>()
    let update = (y .!= 0) .& (p .>= lo) .& (p .<= hi)
    store16(zero.replacing(with: zero + -(y / p) * invN, where: update), dProbs + i)
    i += 16
  }
  for i in i..<(2 * N) {
    let (y, p) = (labels[i], probs[i])
    dProbs[i] = y != 0 && p >= lo && p <= hi ? 0 + -(y / p) * invN : 0
  }
}

/// dProbs (N,2) = 0 + b·u′(p) − a·y in the lanes where `channels` is set, else 0 (lane 2j + c is
/// channel c of a position; u′(p) = 2p if `square`, else 1): the Dice losses' gradient, with
/// their coefficients a and b per channel, written as the bits of adding it to a cleared buffer.
/// Each element is one expression, so eight positions at a time write the bits of one at a time.
package func diceGradient(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int, a: SIMD16<Float>, b: SIMD16<Float>, channels: SIMDMask<SIMD16<Int32>>, square: Bool
) {
  let one = SIMD16<Float>(repeating: 1)
  var i = 0
  while i + 16 <= 2 * N {
    let du = square ? 2 * load16(probs + i) : one
    let zero = SIMD16<Float>()
    let g = zero + (b * du - a * load16(labels + i))
    store16(zero.replacing(with: g, where: channels), dProbs + i)
    i += 16
  }
  for i in i..<(2 * N) {
    let du: Float = square ? 2 * probs[i] : 1
    dProbs[i] = channels[i % 2] ? 0 + (b[i % 2] * du - a[i % 2] * labels[i]) : 0
  }
}
