// The 3×3 convolution kernels with positions in wide lanes: 16 lanes hold four positions × four
// channels, or four input × four output channels. Every lane is one output's sum in the order of
// the plain references (Conv2D.swift), so no vector width changes a bit: a 128-bit build runs
// each SIMD16 as four registers, an AVX2 build as two, an AVX-512 build as one.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// Four copies of `v` side by side: lane 4j + c is v[c].
@inline(__always)
func tile4(_ v: SIMD4<Float>) -> SIMD16<Float> {
  let half = SIMD8(lowHalf: v, highHalf: v)
  return SIMD16(lowHalf: half, highHalf: half)
}

/// Each of v's four values repeated four times: lane 4c + j is v[c].
@inline(__always)
func repeatEach4(_ v: SIMD4<Float>) -> SIMD16<Float> {
  let (a, b, c, d) = (v[0], v[1], v[2], v[3])
  return SIMD16(a, a, a, a, b, b, b, b, c, c, c, c, d, d, d, d)
}

/// Lane 4j + c of the result is lane 4c + j of v: a 4×4 transpose, its own inverse.
@inline(__always)
func transpose4x4(_ v: SIMD16<Float>) -> SIMD16<Float> {
  SIMD16(
    v[0], v[4], v[8], v[12], v[1], v[5], v[9], v[13], v[2], v[6], v[10], v[14], v[3], v[7],
    v[11], v[15])
}

/// out (C,N) = x (N,C) channel-major ("planar"), so consecutive positions of one channel are
/// consecutive Floats.
package func planarCopy(
  out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, N: Int, C: Int
) {
  if C == 4 {
    // Sixteen positions' four channels in four loads, then one whole-line store per channel.
    var n = 0
    while n + 16 <= N {
      let v0 = load16(x + 4 * n)
      let v1 = load16(x + 4 * n + 16)
      let v2 = load16(x + 4 * n + 32)
      let v3 = load16(x + 4 * n + 48)
      for c in 0..<4 {
        store16(
          SIMD16(
            v0[c], v0[4 + c], v0[8 + c], v0[12 + c], v1[c], v1[4 + c], v1[8 + c], v1[12 + c],
            v2[c], v2[4 + c], v2[8 + c], v2[12 + c], v3[c], v3[4 + c], v3[8 + c], v3[12 + c]),
          out + c * N + n)
      }
      n += 16
    }
    while n + 4 <= N {
      let t = transpose4x4(load16(x + 4 * n))
      store4(t.lowHalf.lowHalf, out + n)
      store4(t.lowHalf.highHalf, out + N + n)
      store4(t.highHalf.lowHalf, out + 2 * N + n)
      store4(t.highHalf.highHalf, out + 3 * N + n)
      n += 4
    }
    for n in n..<N {
      for c in 0..<4 { out[c * N + n] = x[4 * n + c] }
    }
    return
  }
  for c in 0..<C {
    for n in 0..<N { out[c * N + n] = x[n * C + c] }
  }
}

/// The wide conv rows' operands: the source's planar copy (with slack) and room for the
/// repeated weights (144·K Floats for K source channels).
package typealias WideOperands = (
  planar: UnsafePointer<Float>, weights: UnsafeMutablePointer<Float>
)

/// ws (9·K, 16) for `conv3x3WideRow` from w (9, K, 4), a 3×3 kernel with four output channels:
/// row (tap, k) holds the tap's four weights from channel k, each repeated four times
/// (`repeatEach4`), so that lane 4c + j multiplies by output channel c's weight.
func repeatWeightsFour(out ws: UnsafeMutablePointer<Float>, w: UnsafePointer<Float>, K: Int) {
  for r in 0..<(9 * K) { store16(repeatEach4(load4(w + 4 * r)), ws + 16 * r) }
}

/// The lanes of a 4-position group but its first position (j = 0), and but its last (j = 3),
/// where lane 4c + j is output channel c of position j. Made once: building a mask lane by lane
/// costs more than the row it serves.
private let lanesAfterTheFirstPosition =
  SIMD16<Int32>(0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1) .!= 0
private let lanesBeforeTheLastPosition =
  SIMD16<Int32>(1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0) .!= 0

/// One row of a 3×3 conv with four output channels, from the planar copy P (K,N) of its source
/// (with slack before and after) and the repeated weights ws (`repeatWeightsFour`):
/// out[x, c] = start[c] + Σ over taps (ky, kx), then k, of P[k, src(x)]·w[ky,kx,k,c], where
/// `direction` 1 reads src = (y + ky − 1, x + kx − 1) (the forward pass, w the kernel) and −1
/// reads (y − ky + 1, x − kx + 1) (the input gradient, w the transposed kernel). Lane 4c + j sums
/// output channel c of a group's position j: a tap loads four consecutive positions of channel k
/// once, side by side four times, and multiplies them by the tap's weights repeated four times;
/// a 4×4 transpose at the store puts each position's channels side by side (out is (N,4)).
/// Taps outside the rows [kyLo, kyHi) are skipped; a tap reading left of column 0 or right of
/// column W − 1 is skipped per lane by a mask, so every lane sums exactly the reference's terms in
/// the reference's order. Each product term is one fused multiply-add (core version 3). In the
/// AVX-512 variant (THIRTY_TWO_VECTOR_REGISTERS) 32 positions run at once (eight accumulators,
/// enough independent fused multiply-adds to cover their latency), then sixteen (four
/// accumulators; a SIMD16 is already two or four registers in the other variants), then four.
/// `start` is `repeatEach4` of the start values. `overCleared` stores 0 + each sum (the bits the
/// references get by adding it to a cleared gradient); otherwise the sums are stored. `relu`, if given, is the row of a ReLU's input (W,4) and each stored value v becomes
/// `reluGradient(v, relu)`. `summing`, if given, is a running sum per channel in Double, and the
/// row's stored values are added to it position by position, in order; the result is the
/// updated sum (batch norm's mean sum, made while the row's arithmetic runs). `reluOut`, if
/// given, is a row (W,4) that also receives the ReLU of each stored value (the expression of
/// `reluForward`). W is a multiple of 4.
@inline(__always) @discardableResult
func conv3x3WideRow(
  out o: UnsafeMutablePointer<Float>, planar P: UnsafePointer<Float>,
  weights ws: UnsafePointer<Float>,
  start: SIMD16<Float>, rowBase: Int, kyLo: Int, kyHi: Int, W: Int, N: Int, K: Int,
  direction: Int, overCleared: Bool, relu: UnsafePointer<Float>? = nil,
  summing: SIMD4<Double>? = nil, reluOut: UnsafeMutablePointer<Float>? = nil
) -> SIMD4<Double>? {
  // The model's four channels as a constant, so the loop over them unrolls whole.
  if K == 4 {
    return conv3x3WideRowSums(
      out: o, planar: P, weights: ws, start: start, rowBase: rowBase, kyLo: kyLo, kyHi: kyHi,
      W: W, N: N, K: 4, direction: direction, overCleared: overCleared, relu: relu,
      summing: summing, reluOut: reluOut)
  } else {
    return conv3x3WideRowSums(
      out: o, planar: P, weights: ws, start: start, rowBase: rowBase, kyLo: kyLo, kyHi: kyHi,
      W: W, N: N, K: K, direction: direction, overCleared: overCleared, relu: relu,
      summing: summing, reluOut: reluOut)
  }
}

/// s + each of v's four positions (lane 4j + c: position j, channel c) in turn, in Double.
@inline(__always)
private func addPositions(_ s: SIMD4<Double>, _ v: SIMD16<Float>) -> SIMD4<Double> {
  var s = s
  s += SIMD4<Double>(v.lowHalf.lowHalf)
  s += SIMD4<Double>(v.lowHalf.highHalf)
  s += SIMD4<Double>(v.highHalf.lowHalf)
  s += SIMD4<Double>(v.highHalf.highHalf)
  return s
}

@inline(__always)
private func conv3x3WideRowSums(
  out o: UnsafeMutablePointer<Float>, planar P: UnsafePointer<Float>,
  weights ws: UnsafePointer<Float>,
  start: SIMD16<Float>, rowBase: Int, kyLo: Int, kyHi: Int, W: Int, N: Int, K: Int,
  direction: Int, overCleared: Bool, relu: UnsafePointer<Float>?, summing: SIMD4<Double>?,
  reluOut: UnsafeMutablePointer<Float>?
) -> SIMD4<Double>? {
  var sums = summing ?? SIMD4<Double>()
  let notFirst = lanesAfterTheFirstPosition
  let notLast = lanesBeforeTheLastPosition
  var x0 = 0
  #if THIRTY_TWO_VECTOR_REGISTERS
    let groupOf32 = true
  #else
    let groupOf32 = false
  #endif
  while groupOf32 && x0 + 32 <= W {
    var a0 = start
    var a1 = start
    var a2 = start
    var a3 = start
    var a4 = start
    var a5 = start
    var a6 = start
    var a7 = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let dx = direction * (kx - 1)
        let src = P + rowBase + direction * (ky - 1) * W + x0 + dx
        let wk = ws + (ky * 3 + kx) * K * 16
        if dx == -1 && x0 == 0 {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.replacing(with: a0.addingProduct(tile4(load4(p)), t), where: notFirst)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.addingProduct(tile4(load4(p + 12)), t)
            a4 = a4.addingProduct(tile4(load4(p + 16)), t)
            a5 = a5.addingProduct(tile4(load4(p + 20)), t)
            a6 = a6.addingProduct(tile4(load4(p + 24)), t)
            a7 = a7.addingProduct(tile4(load4(p + 28)), t)
          }
        } else if dx == 1 && x0 + 32 == W {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.addingProduct(tile4(load4(p)), t)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.addingProduct(tile4(load4(p + 12)), t)
            a4 = a4.addingProduct(tile4(load4(p + 16)), t)
            a5 = a5.addingProduct(tile4(load4(p + 20)), t)
            a6 = a6.addingProduct(tile4(load4(p + 24)), t)
            a7 = a7.replacing(with: a7.addingProduct(tile4(load4(p + 28)), t), where: notLast)
          }
        } else {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.addingProduct(tile4(load4(p)), t)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.addingProduct(tile4(load4(p + 12)), t)
            a4 = a4.addingProduct(tile4(load4(p + 16)), t)
            a5 = a5.addingProduct(tile4(load4(p + 20)), t)
            a6 = a6.addingProduct(tile4(load4(p + 24)), t)
            a7 = a7.addingProduct(tile4(load4(p + 28)), t)
          }
        }
      }
    }
    // The stores first, then what the others take from them (fewer live registers, and
    // the same values and order as the four-position groups).
    let d = o + 4 * x0
    let zero = SIMD16<Float>()
    store16(transpose4x4(overCleared ? zero + a0 : a0), d)
    store16(transpose4x4(overCleared ? zero + a1 : a1), d + 16)
    store16(transpose4x4(overCleared ? zero + a2 : a2), d + 32)
    store16(transpose4x4(overCleared ? zero + a3 : a3), d + 48)
    store16(transpose4x4(overCleared ? zero + a4 : a4), d + 64)
    store16(transpose4x4(overCleared ? zero + a5 : a5), d + 80)
    store16(transpose4x4(overCleared ? zero + a6 : a6), d + 96)
    store16(transpose4x4(overCleared ? zero + a7 : a7), d + 112)
    if relu != nil || reluOut != nil || summing != nil {
      // (A range, not a stride: the optimiser left stride's iterator as a call, 4% of a step.)
      for group in 0..<8 {
        let at = 16 * group
        var v = load16(d + at)
        if let relu {
          v = reluGradient(v, load16(relu + 4 * x0 + at))
          store16(v, d + at)
        }
        if let reluOut { store16(reluOf(v), reluOut + 4 * x0 + at) }
        if summing != nil { sums = addPositions(sums, v) }
      }
    }
    x0 += 32
  }
  while x0 + 16 <= W {
    var a0 = start
    var a1 = start
    var a2 = start
    var a3 = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let dx = direction * (kx - 1)
        let src = P + rowBase + direction * (ky - 1) * W + x0 + dx
        let wk = ws + (ky * 3 + kx) * K * 16
        if dx == -1 && x0 == 0 {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.replacing(with: a0.addingProduct(tile4(load4(p)), t), where: notFirst)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.addingProduct(tile4(load4(p + 12)), t)
          }
        } else if dx == 1 && x0 + 16 == W {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.addingProduct(tile4(load4(p)), t)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.replacing(with: a3.addingProduct(tile4(load4(p + 12)), t), where: notLast)
          }
        } else {
          for k in 0..<K {
            let t = load16(wk + 16 * k)
            let p = src + k * N
            a0 = a0.addingProduct(tile4(load4(p)), t)
            a1 = a1.addingProduct(tile4(load4(p + 4)), t)
            a2 = a2.addingProduct(tile4(load4(p + 8)), t)
            a3 = a3.addingProduct(tile4(load4(p + 12)), t)
          }
        }
      }
    }
    let d = o + 4 * x0
    let zero = SIMD16<Float>()
    let (v0, v1, v2, v3) =
      overCleared
      ? (zero + a0, zero + a1, zero + a2, zero + a3) : (a0, a1, a2, a3)
    var (s0, s1, s2, s3) = (transpose4x4(v0), transpose4x4(v1), transpose4x4(v2), transpose4x4(v3))
    if let relu {
      let r = relu + 4 * x0
      s0 = reluGradient(s0, load16(r))
      s1 = reluGradient(s1, load16(r + 16))
      s2 = reluGradient(s2, load16(r + 32))
      s3 = reluGradient(s3, load16(r + 48))
    }
    store16(s0, d)
    store16(s1, d + 16)
    store16(s2, d + 32)
    store16(s3, d + 48)
    if let reluOut {
      let r = reluOut + 4 * x0
      store16(reluOf(s0), r)
      store16(reluOf(s1), r + 16)
      store16(reluOf(s2), r + 32)
      store16(reluOf(s3), r + 48)
    }
    if summing != nil {
      sums = addPositions(addPositions(addPositions(addPositions(sums, s0), s1), s2), s3)
    }
    x0 += 16
  }
  while x0 + 4 <= W {
    var a = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let dx = direction * (kx - 1)
        let src = P + rowBase + direction * (ky - 1) * W + x0 + dx
        let wk = ws + (ky * 3 + kx) * K * 16
        let mask: SIMDMask<SIMD16<Int32>>? =
          dx == -1 && x0 == 0 ? notFirst : (dx == 1 && x0 + 4 == W ? notLast : nil)
        if let mask {
          for k in 0..<K {
            a = a.replacing(
              with: a.addingProduct(tile4(load4(src + k * N)), load16(wk + 16 * k)), where: mask)
          }
        } else {
          for k in 0..<K { a = a.addingProduct(tile4(load4(src + k * N)), load16(wk + 16 * k)) }
        }
      }
    }
    let d = o + 4 * x0
    let v = transpose4x4(overCleared ? SIMD16<Float>() + a : a)
    let stored = relu.map { reluGradient(v, load16($0 + 4 * x0)) } ?? v
    store16(stored, d)
    if let reluOut { store16(reluOf(stored), reluOut + 4 * x0) }
    if summing != nil { sums = addPositions(sums, stored) }
    x0 += 4
  }
  return summing == nil ? nil : sums
}

/// One loss's kernel gradient operands: dWeight and dBias (if given) accumulate sums of dOut.
typealias KernelGradient = (
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>
)

/// dWeight += Σ over positions for a 3×3 kernel with Cin = Cout = 4: lanes are (ci, co), the
/// three taps of a kernel row side by side, each lane summing positions in NHWC order, as
/// `conv2dBackward`; the middle row's pass, which covers every position, also sums dBias (4) if
/// given. The AVX-512 variant runs the three kernel rows in one pass (`kernelRowsPass`), the
/// others a pass per row. `second`, if given, is another loss's dOut on the same input, summed in the same pass
/// (independent sums, each in its own order). S is `splatFour(input)` (N,4,4); W ≥ 2.
func conv3x3WeightGradientWide(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, second: KernelGradient? = nil, splat S: UnsafePointer<Float>,
  B: Int, H: Int, W: Int
) {
  let first = (dWeight, dBias, dOut)
  if let second {
    conv3x3WeightGradientWide(first, second, paired: true, S: S, B: B, H: H, W: W)
  } else {
    conv3x3WeightGradientWide(first, first, paired: false, S: S, B: B, H: H, W: W)
  }
}

/// Three tap sums and a bias sum. In `conv3x3WeightGradientWide`, one kernel row's: tN is tap
/// kx = N (input column x − 1 + N), lane 4·ci + co; tb sums dOut over the pass's positions.
private struct KernelRowSums {
  var t0 = SIMD16<Float>()
  var t1 = SIMD16<Float>()
  var t2 = SIMD16<Float>()
  var tb = SIMD4<Float>()

  /// Adds an output position with dOut d4 whose three taps read s − 16, s and s + 16 (pass
  /// `left: false` or `right: false` for the first or last column, whose tap reads the padding).
  @inline(__always)
  mutating func add(
    _ s: UnsafePointer<Float>, _ d4: SIMD4<Float>, left: Bool = true, right: Bool = true
  ) {
    tb = tb + d4
    let d = tile4(d4)
    if left { t0 = t0.addingProduct(load16(s - 16), d) }
    t1 = t1.addingProduct(load16(s), d)
    if right { t2 = t2.addingProduct(load16(s + 16), d) }
  }

  @inline(__always)
  func addTo(_ dw: UnsafeMutablePointer<Float>) {
    store16(load16(dw) + t0, dw)
    store16(load16(dw + 16) + t1, dw + 16)
    store16(load16(dw + 32) + t2, dw + 32)
  }

  /// For `conv3x3WeightGradientWideSingleChannel`, where tN is kernel row N (lanes 0…11: kx, co)
  /// and tb sums every position: dWeight (3,3,1,4) and dBias += the sums.
  func addRowsTo(_ dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?) {
    for lane in 0..<12 {
      dWeight[lane] += t0[lane]
      dWeight[12 + lane] += t1[lane]
      dWeight[24 + lane] += t2[lane]
    }
    if let dBias { store4(load4(dBias) + tb, dBias) }
  }
}

@inline(__always)
private func conv3x3WeightGradientWide(
  _ first: KernelGradient, _ second: KernelGradient, paired: Bool, S: UnsafePointer<Float>,
  B: Int, H: Int, W: Int
) {
  #if THIRTY_TWO_VECTOR_REGISTERS
    // The three kernel rows in one pass (eighteen chains for two losses, in registers), so
    // the fused multiply-adds are not bound by their chains' latency.
    var a = (KernelRowSums(), KernelRowSums(), KernelRowSums())
    var b = (KernelRowSums(), KernelRowSums(), KernelRowSums())
    for image in 0..<B {
      let base = image * H
      if H == 1 {
        kernelRowsPass(
          &a, &b, first, second, paired, S, row: base, W: W, above: false, below: false)
      } else {
        kernelRowsPass(&a, &b, first, second, paired, S, row: base, W: W, above: false, below: true)
        for y in 1..<(H - 1) {
          kernelRowsPass(
            &a, &b, first, second, paired, S, row: base + y, W: W, above: true, below: true)
        }
        kernelRowsPass(
          &a, &b, first, second, paired, S, row: base + H - 1, W: W, above: true, below: false)
      }
    }
    a.0.addTo(first.dWeight)
    a.1.addTo(first.dWeight + 48)
    a.2.addTo(first.dWeight + 96)
    if let dBias = first.dBias { store4(load4(dBias) + a.1.tb, dBias) }
    if paired {
      b.0.addTo(second.dWeight)
      b.1.addTo(second.dWeight + 48)
      b.2.addTo(second.dWeight + 96)
      if let dBias = second.dBias { store4(load4(dBias) + b.1.tb, dBias) }
    }
  #else
    conv3x3WeightGradientWideByRow(first, second, paired: paired, S: S, B: B, H: H, W: W)
  #endif
}

/// `conv3x3WeightGradientWide` with a pass over the positions per kernel row.
@inline(__always)
private func conv3x3WeightGradientWideByRow(
  _ first: KernelGradient, _ second: KernelGradient, paired: Bool, S: UnsafePointer<Float>,
  B: Int, H: Int, W: Int
) {
  for ky in 0..<3 {
    let yLo = max(0, 1 - ky)
    let yHi = min(H, H + 1 - ky)
    var a = KernelRowSums()
    var b = KernelRowSums()
    for image in 0..<B {
      for y in yLo..<yHi {
        let sRow = S + 16 * ((image * H + y + ky - 1) * W)
        let rowA = first.dOut + (image * H + y) * W * 4
        let rowB = second.dOut + (image * H + y) * W * 4
        a.add(sRow, load4(rowA), left: false)
        if paired { b.add(sRow, load4(rowB), left: false) }
        for x in 1..<(W - 1) {
          a.add(sRow + 16 * x, load4(rowA + 4 * x))
          if paired { b.add(sRow + 16 * x, load4(rowB + 4 * x)) }
        }
        let end = sRow + 16 * (W - 1)
        a.add(end, load4(rowA + 4 * (W - 1)), right: false)
        if paired { b.add(end, load4(rowB + 4 * (W - 1)), right: false) }
      }
    }
    a.addTo(first.dWeight + ky * 3 * 16)
    if ky == 1, let dBias = first.dBias { store4(load4(dBias) + a.tb, dBias) }
    if paired {
      b.addTo(second.dWeight + ky * 3 * 16)
      if ky == 1, let dBias = second.dBias { store4(load4(dBias) + b.tb, dBias) }
    }
  }
}

/// One output row (`row` = image·H + y) of `conv3x3WeightGradientWide`'s one-pass form: each of
/// its positions added to the kernel rows whose input row exists (ky = 0 reads the row above,
/// ky = 2 the row below), in order, so every sum still runs over positions in NHWC order.
@inline(__always)
private func kernelRowsPass(
  _ a: inout (KernelRowSums, KernelRowSums, KernelRowSums),
  _ b: inout (KernelRowSums, KernelRowSums, KernelRowSums), _ first: KernelGradient,
  _ second: KernelGradient, _ paired: Bool, _ S: UnsafePointer<Float>, row: Int, W: Int,
  above: Bool, below: Bool
) {
  let sRow = S + 16 * row * W
  let rowA = first.dOut + row * W * 4
  let rowB = second.dOut + row * W * 4
  @inline(__always)
  func add(
    _ r: inout (KernelRowSums, KernelRowSums, KernelRowSums), _ s: UnsafePointer<Float>,
    _ d4: SIMD4<Float>, left: Bool, right: Bool
  ) {
    if above { r.0.add(s - 16 * W, d4, left: left, right: right) }
    r.1.add(s, d4, left: left, right: right)
    if below { r.2.add(s + 16 * W, d4, left: left, right: right) }
  }
  add(&a, sRow, load4(rowA), left: false, right: true)
  if paired { add(&b, sRow, load4(rowB), left: false, right: true) }
  for x in 1..<(W - 1) {
    add(&a, sRow + 16 * x, load4(rowA + 4 * x), left: true, right: true)
    if paired { add(&b, sRow + 16 * x, load4(rowB + 4 * x), left: true, right: true) }
  }
  let end = sRow + 16 * (W - 1)
  add(&a, end, load4(rowA + 4 * (W - 1)), left: true, right: false)
  if paired { add(&b, end, load4(rowB + 4 * (W - 1)), left: true, right: false) }
}

/// dWeight += Σ over positions for a 3×3 kernel with Cin = 1, Cout = 4: lanes are (kx, co) for
/// the three taps of a kernel row (lanes 12…15 unused), the three rows ky side by side (three
/// independent sums in one pass over the positions), each lane summing positions in NHWC order
/// and skipping the rows a tap reads outside the image, as `conv2dBackward`. A padded column adds
/// a zero product, which leaves a sum that starts at +0 unchanged bit for bit. dBias (4), if
/// given, sums every position. `second`, if given, is another loss's dOut, summed in the same
/// pass. S is `splatFour(input)` (N,4) with 16 Floats of slack after it; W ≥ 2.
func conv3x3WeightGradientWideSingleChannel(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, second: KernelGradient? = nil, splat S: UnsafePointer<Float>,
  B: Int, H: Int, W: Int
) {
  let first = (dWeight, dBias, dOut)
  if let second {
    conv3x3WeightGradientWideSingleChannel(first, second, paired: true, S: S, B: B, H: H, W: W)
  } else {
    conv3x3WeightGradientWideSingleChannel(first, first, paired: false, S: S, B: B, H: H, W: W)
  }
}

@inline(__always)
private func conv3x3WeightGradientWideSingleChannel(
  _ first: KernelGradient, _ second: KernelGradient, paired: Bool, S: UnsafePointer<Float>,
  B: Int, H: Int, W: Int
) {
  let none = SIMD4<Float>()
  // One kernel row's three taps at output (b, y, x) from input row sRow: S's values at columns
  // x − 1, x, x + 1; a padded column reads 0.
  @inline(__always) func firstTaps(_ sRow: UnsafePointer<Float>) -> SIMD16<Float> {
    SIMD16(
      lowHalf: SIMD8(lowHalf: none, highHalf: load4(sRow)),
      highHalf: SIMD8(lowHalf: load4(sRow + 4), highHalf: none))
  }
  @inline(__always) func lastTaps(_ sRow: UnsafePointer<Float>) -> SIMD16<Float> {
    SIMD16(
      lowHalf: SIMD8(lowHalf: load4(sRow + 4 * (W - 2)), highHalf: load4(sRow + 4 * (W - 1))),
      highHalf: SIMD8(lowHalf: none, highHalf: none))
  }
  var a = KernelRowSums()
  var b = KernelRowSums()
  for image in 0..<B {
    for y in 0..<H {
      let rowA = first.dOut + (image * H + y) * W * 4
      let rowB = second.dOut + (image * H + y) * W * 4
      let rowAbove = S + 4 * ((image * H + y - 1) * W)
      let row = S + 4 * ((image * H + y) * W)
      let rowBelow = S + 4 * ((image * H + y + 1) * W)
      let hasAbove = y > 0
      let hasBelow = y < H - 1
      @inline(__always) func add(_ x: Int, _ taps: (UnsafePointer<Float>) -> SIMD16<Float>) {
        let da4 = load4(rowA + 4 * x)
        let db4 = load4(rowB + 4 * x)
        a.tb = a.tb + da4
        if paired { b.tb = b.tb + db4 }
        let da = tile4(da4)
        let db = tile4(db4)
        if hasAbove {
          let t = taps(rowAbove)
          a.t0 = a.t0.addingProduct(t, da)
          if paired { b.t0 = b.t0.addingProduct(t, db) }
        }
        let t = taps(row)
        a.t1 = a.t1.addingProduct(t, da)
        if paired { b.t1 = b.t1.addingProduct(t, db) }
        if hasBelow {
          let t = taps(rowBelow)
          a.t2 = a.t2.addingProduct(t, da)
          if paired { b.t2 = b.t2.addingProduct(t, db) }
        }
      }
      add(0, firstTaps)
      // Lanes 12…15 read the next value (or the slack) and are never stored.
      for x in 1..<(W - 1) { add(x) { load16($0 + 4 * (x - 1)) } }
      add(W - 1, lastTaps)
    }
  }
  a.addRowsTo(first.dWeight, dBias: first.dBias)
  if paired { b.addRowsTo(second.dWeight, dBias: second.dBias) }
}
