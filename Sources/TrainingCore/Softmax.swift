// Softmax over the channel axis of (N,C) logits, and its backward pass.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// probs (N,C) = softmax(logits (N,C)) per position, with the max subtracted first. Two
/// channels run eight positions at a time in lanes, with the same operations as one at a time
/// and one exp per position (the max term's is exp(0) = 1).
package func softmaxForward(
  probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, C: Int
) {
  var start = 0
  if C == 2 {
    while start + 8 <= N {
      let z = load16(logits + 2 * start)
      let z0 = firstOfPairs(z)
      let z1 = secondOfPairs(z)
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
      store16(interleavePairs(e0 / sum, e1 / sum), probs + 2 * start)
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

/// dLogits = 0 + p ⊙ (dProbs − Σ_c p_c·dProbs_c) per position (the bits of adding it to a cleared
/// buffer, so dLogits needs no clearing); two channels eight positions at a time.
package func softmaxBackward(
  dLogits: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>, probs: UnsafePointer<Float>,
  N: Int, C: Int
) {
  var start = 0
  if C == 2 {
    // Eight positions at a time, each with the same operations as one at a time.
    while start + 8 <= N {
      let p = load16(probs + 2 * start)
      let dp = load16(dProbs + 2 * start)
      let products = p * dp
      // dot = (0 + p0·dp0) + p1·dp1 per position, in both of its lanes.
      let dot = (SIMD8<Float>() + firstOfPairs(products)) + secondOfPairs(products)
      let d = dLogits + 2 * start
      store16(SIMD16<Float>() + p * (dp - interleavePairs(dot, dot)), d)
      start += 8
    }
  }
  for n in start..<N {
    let p = probs + n * C
    let dp = dProbs + n * C
    var dot: Float = 0
    for c in 0..<C { dot += p[c] * dp[c] }
    for c in 0..<C { dLogits[n * C + c] = 0 + p[c] * (dp[c] - dot) }
  }
}

/// The first (even lanes) or second (odd lanes) values of eight two-channel positions, and the
/// two put back in position order; written lane by lane so they compile to shuffles.
@inline(__always)
func firstOfPairs(_ v: SIMD16<Float>) -> SIMD8<Float> {
  SIMD8(v[0], v[2], v[4], v[6], v[8], v[10], v[12], v[14])
}

@inline(__always)
func secondOfPairs(_ v: SIMD16<Float>) -> SIMD8<Float> {
  SIMD8(v[1], v[3], v[5], v[7], v[9], v[11], v[13], v[15])
}

@inline(__always)
func interleavePairs(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD16<Float> {
  SIMD16(
    a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
}
