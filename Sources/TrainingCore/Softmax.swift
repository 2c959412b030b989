// Softmax over the channel axis of (N,C) logits, and its backward pass.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// probs (N,C) = softmax(logits (N,C)) per position, with the max subtracted first.
func softmaxForward(
  probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, C: Int
) {
  for n in 0..<N {
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
