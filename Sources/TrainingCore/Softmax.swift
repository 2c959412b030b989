// Softmax over the channel axis of (N,C) logits, and its backward pass.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// probs (N,C) = softmax(logits (N,C)) per position, with the max subtracted first. Two
/// channels run four positions at a time in lanes, with the same operations as one at a time.
func softmaxForward(
  probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, C: Int
) {
  var start = 0
  if C == 2 {
    while start + 4 <= N {
      let z = load8(logits + 2 * start)
      // Each position's first and second logit in both of its lanes.
      let z0 = z[firstOfPair]
      let z1 = z[secondOfPair]
      // m = z0, then z1 unless z1 <= m: NaN wins, so it propagates.
      let m = z1.replacing(with: z0, where: z1 .<= z0)
      let e = portableExp(z - m)
      // sum = (0 + e0) + e1 in both lanes of a position.
      let sum = (SIMD8<Float>() + e[firstOfPair]) + e[secondOfPair]
      store8(e / sum, probs + 2 * start)
      start += 4
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

/// Lane indices that copy each two-channel position's first (or second) value to both its lanes.
private let firstOfPair = SIMD8<Int32>(0, 0, 2, 2, 4, 4, 6, 6)
private let secondOfPair = SIMD8<Int32>(1, 1, 3, 3, 5, 5, 7, 7)
