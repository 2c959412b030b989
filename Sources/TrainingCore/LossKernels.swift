// Cross-entropy on softmax probabilities p (N,2) and labels y (N,2), N = B·H·W, and its
// gradient with respect to p: compiled in both kernel variants (Kernels.swift), like the other
// elementwise kernels. The Dice losses and the choice by name are in Losses.swift.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The ε of the losses (Keras's backend epsilon), in Float.
let lossEpsilon: Float = 1e-7

/// cce = −(1/N) Σ_n Σ_c y·log(clip(p, ε, 1−ε)); the clip passes gradient only inside [ε, 1−ε].
package func crossEntropy(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int
) -> Float {
  let lo = lossEpsilon
  let hi: Float = 1 - lossEpsilon
  let invN = 1 / Float(N)
  var sum = 0.0
  var i = 0
  // Eight positions at a time when each has exactly one labelled channel (one-hot labels): the
  // labelled values' logs and gradients in lanes, then the same serial Double sum in order.
  while i + 16 <= 2 * N {
    let y = load16(labels + i)
    let p = load16(probs + i)
    let first = firstOfPairs(y) .!= 0
    guard all(first .^ (secondOfPairs(y) .!= 0)) else { break }  // other labels: one at a time
    let yl = secondOfPairs(y).replacing(with: firstOfPairs(y), where: first)
    let pl = secondOfPairs(p).replacing(with: firstOfPairs(p), where: first)
    let clipped = pl.replacing(with: lo, where: pl .< lo).replacing(with: hi, where: pl .> hi)
    let terms = yl * portableLog(clipped)
    for lane in 0..<8 { sum += Double(terms[lane]) }
    let inside = (pl .>= lo) .& (pl .<= hi)
    let update = -(yl / pl) * invN
    let d = load16(dProbs + i)
    let d0 = firstOfPairs(d)
    let d1 = secondOfPairs(d)
    let new0 = d0.replacing(with: d0 + update, where: inside .& first)
    let new1 = d1.replacing(with: d1 + update, where: inside .& .!first)
    store16(interleavePairs(new0, new1), dProbs + i)
    i += 16
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

/// dProbs (N,2) += b·u′(p) − a·y in the lanes where `channels` is set (lane 2j + c is channel c
/// of a position; u′(p) = 2p if `square`, else 1): the Dice losses' gradient, with their
/// coefficients a and b per channel. Each element takes one update, so eight positions at a
/// time write the bits of one at a time.
package func diceGradient(
  dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>, labels: UnsafePointer<Float>,
  N: Int, a: SIMD16<Float>, b: SIMD16<Float>, channels: SIMDMask<SIMD16<Int32>>, square: Bool
) {
  let one = SIMD16<Float>(repeating: 1)
  var i = 0
  while i + 16 <= 2 * N {
    let du = square ? 2 * load16(probs + i) : one
    let d = load16(dProbs + i)
    store16(d.replacing(with: d + (b * du - a * load16(labels + i)), where: channels), dProbs + i)
    i += 16
  }
  for i in i..<(2 * N) where channels[i % 2] {
    let du: Float = square ? 2 * probs[i] : 1
    dProbs[i] += b[i % 2] * du - a[i % 2] * labels[i]
  }
}
