// Softmax over the channel axis of (N,C) logits, and its backward pass.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// probs (N,C) = softmax(logits (N,C)) per position, with the max subtracted first. Two
/// channels run eight positions at a time in lanes, with the same operations as one at a time
/// and one exp per position (the max term's is exp(0) = 1), in three passes: the exps'
/// arguments, then the exps (independent of each other, so the core overlaps their long chains),
/// then the probabilities. `scratch` is room for N Floats (allocated for the call if not given).
/// Logits with a NaN or an infinity send every position one at a time.
package func softmaxForward(
  probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, C: Int,
  scratch: UnsafeMutablePointer<Float>? = nil
) {
  var start = 0
  if C == 2 && N >= 8 {
    let room = scratch ?? .allocate(capacity: N)
    defer { if scratch == nil { room.deallocate() } }
    let end = N / 8 * 8
    var inLanes = SIMDMask<SIMD8<Int32>>(repeating: true)
    for n in stride(from: 0, to: end, by: 8) {
      let g = SoftmaxEight(load16(logits + 2 * n))
      inLanes .&= g.inLanes
      store8(g.argument, room + n)
    }
    if all(inLanes) {
      for n in stride(from: 0, to: end, by: 8) { store8(portableExp(load8(room + n)), room + n) }
      for n in stride(from: 0, to: end, by: 8) {
        let g = SoftmaxEight(load16(logits + 2 * n))
        store16(g.probabilities(load8(room + n)), probs + 2 * n)
      }
      start = end
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

/// Eight two-channel positions' softmax (lane j: position j), in the operations of the loop
/// over one position: the max m, the differences z − m, and the exp of the one that is not the
/// max's (whose difference is 0 and whose exp is exactly 1).
private struct SoftmaxEight {
  let firstIsMax: SIMDMask<SIMD8<Int32>>
  /// The lanes this form computes exactly: no NaN and no infinity (those go one at a time).
  let inLanes: SIMDMask<SIMD8<Int32>>
  /// The difference whose exp the position needs.
  let argument: SIMD8<Float>

  @inline(__always)
  init(_ z: SIMD16<Float>) {
    let z0 = firstOfPairs(z)
    let z1 = secondOfPairs(z)
    // m = z0, then z1 unless z1 <= m: NaN wins, so it propagates.
    let m = z1.replacing(with: z0, where: z1 .<= z0)
    let d0 = z0 - m
    let d1 = z1 - m
    let isMax = d0 .== 0
    let exact = isMax .| (d1 .== 0)
    firstIsMax = isMax
    inLanes = exact
    argument = d0.replacing(with: d1, where: isMax)
  }

  /// The positions' probabilities, (8,2), from `other` = exp(argument).
  @inline(__always)
  func probabilities(_ other: SIMD8<Float>) -> SIMD16<Float> {
    let one = SIMD8<Float>(repeating: 1)
    let e0 = other.replacing(with: one, where: firstIsMax)
    let e1 = one.replacing(with: other, where: firstIsMax)
    // sum = (0 + e0) + e1, as the loop over one position.
    let sum = (SIMD8<Float>() + e0) + e1
    return interleavePairs(e0 / sum, e1 / sum)
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
