// Softmax over the channel axis of (N,C) logits, and its backward pass.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// probs (N,C) = softmax(logits (N,C)) per position, with the max subtracted first. Two
/// channels run eight positions at a time in lanes, with the same operations as one at a time
/// and one exp per position (the max term's is exp(0) = 1).
func softmaxForward(
  probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, C: Int
) {
  var start = 0
  if C == 2 {
    while start + 8 <= N {
      let z = load16(logits + 2 * start)
      let z0 = z[firstOfPairs]
      let z1 = z[secondOfPairs]
      // m = z0, then z1 unless z1 <= m: NaN wins, so it propagates.
      let m = z1.replacing(with: z0, where: z1 .<= z0)
      let d0 = z0 - m
      let d1 = z1 - m
      // The max term's difference is 0, whose exp is exactly 1: one exp per position does.
      let firstIsMax = d0 .== 0
      guard all(firstIsMax .| (d1 .== 0)) else { break }  // NaN or infinities: one at a time
      let other = portableExp(d0.replacing(with: d1, where: firstIsMax))
      let one = SIMD8<Float>(repeating: 1)
      let e0 = other.replacing(with: one, where: firstIsMax)
      let e1 = one.replacing(with: other, where: firstIsMax)
      // sum = (0 + e0) + e1, as the loop below.
      let sum = (SIMD8<Float>() + e0) + e1
      store16(SIMD16(lowHalf: e0 / sum, highHalf: e1 / sum)[interleavePairs], probs + 2 * start)
      start += 8
    }
  }
  for n in start..<N {
    let z = logits + n * C
    let p = probs + n * C
    var m = z[0]
    for c in 1..<C where !(z[c] <= m) { m = z[c] }  // NaN wins, so it propagates
    var sum: Float = 0
    for c in 0..<C {
      let e = portableExp(z[c] - m)
      p[c] = e
      sum += e
    }
    for c in 0..<C { p[c] = p[c] / sum }
  }
}

/// dLogits += p ⊙ (dProbs − Σ_c p_c·dProbs_c) per position.
func softmaxBackward(
  dLogits: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>, probs: UnsafePointer<Float>,
  N: Int, C: Int
) {
  for n in 0..<N {
    let p = probs + n * C
    let dp = dProbs + n * C
    var dot: Float = 0
    for c in 0..<C { dot += p[c] * dp[c] }
    for c in 0..<C { dLogits[n * C + c] += p[c] * (dp[c] - dot) }
  }
}

/// Lane indices that take eight two-channel positions' first (or second) values, and that
/// put eight first values and eight second values back in position order.
let firstOfPairs = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
let secondOfPairs = SIMD8<Int32>(1, 3, 5, 7, 9, 11, 13, 15)
let interleavePairs = SIMD16<Int32>(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15)
