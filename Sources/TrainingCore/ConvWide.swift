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

/// out (C,N,4) = every value of x (N,C) repeated four times, channel-major ("planar"), so four
/// consecutive positions of one channel are 16 consecutive Floats.
package func planarSplatFour(
  out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, N: Int, C: Int
) {
  for c in 0..<C {
    let plane = out + 4 * c * N
    for n in 0..<N { store4(SIMD4(repeating: x[n * C + c]), plane + 4 * n) }
  }
}

/// The lanes of a 4-position group but its first position (lanes 0…3), and but its last (12…15).
/// Made once: building a mask lane by lane costs more than the row it serves.
private let lanesAfterTheFirstPosition =
  SIMD16<Int32>(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1) .!= 0
private let lanesBeforeTheLastPosition =
  SIMD16<Int32>(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0) .!= 0

/// One row of a 3×3 conv with four lanes per position, from the planar splat P (K,N,4) of its
/// source (with 4 Floats of slack before and after): out[x, c] = start[c] + Σ over taps (ky, kx),
/// then k, of P[k, src(x)]·w[ky,kx,k,c], where `direction` 1 reads src = (y + ky − 1, x + kx − 1)
/// (the forward pass, w the kernel) and −1 reads (y − ky + 1, x − kx + 1) (the input gradient, w
/// the transposed kernel). Taps outside the rows [kyLo, kyHi) are skipped; a tap reading left of
/// column 0 or right of column W − 1 is skipped per lane by a mask, so every lane sums exactly
/// the reference's terms in the reference's order. Sixteen positions run at once (sixteen
/// independent sums per lane group), then four. `accumulate` adds the sums to `out` once (as the
/// references do into a cleared gradient); otherwise they are stored. W is a multiple of 4.
@inline(__always)
func conv3x3WideRow(
  out o: UnsafeMutablePointer<Float>, planar P: UnsafePointer<Float>,
  weights w: UnsafePointer<Float>,
  start: SIMD16<Float>, rowBase: Int, kyLo: Int, kyHi: Int, W: Int, N: Int, K: Int,
  direction: Int, accumulate: Bool
) {
  let notFirst = lanesAfterTheFirstPosition
  let notLast = lanesBeforeTheLastPosition
  var x0 = 0
  while x0 + 16 <= W {
    var a0 = start
    var a1 = start
    var a2 = start
    var a3 = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let dx = direction * (kx - 1)
        let src = P + 4 * (rowBase + direction * (ky - 1) * W + x0 + dx)
        let wk = w + (ky * 3 + kx) * K * 4
        if dx == -1 && x0 == 0 {
          for k in 0..<K {
            let t = tile4(load4(wk + 4 * k))
            let p = src + 4 * k * N
            a0 = a0.replacing(with: a0 + load16(p) * t, where: notFirst)
            a1 = a1 + load16(p + 16) * t
            a2 = a2 + load16(p + 32) * t
            a3 = a3 + load16(p + 48) * t
          }
        } else if dx == 1 && x0 + 16 == W {
          for k in 0..<K {
            let t = tile4(load4(wk + 4 * k))
            let p = src + 4 * k * N
            a0 = a0 + load16(p) * t
            a1 = a1 + load16(p + 16) * t
            a2 = a2 + load16(p + 32) * t
            a3 = a3.replacing(with: a3 + load16(p + 48) * t, where: notLast)
          }
        } else {
          for k in 0..<K {
            let t = tile4(load4(wk + 4 * k))
            let p = src + 4 * k * N
            a0 = a0 + load16(p) * t
            a1 = a1 + load16(p + 16) * t
            a2 = a2 + load16(p + 32) * t
            a3 = a3 + load16(p + 48) * t
          }
        }
      }
    }
    let d = o + 4 * x0
    if accumulate {
      store16(load16(d) + a0, d)
      store16(load16(d + 16) + a1, d + 16)
      store16(load16(d + 32) + a2, d + 32)
      store16(load16(d + 48) + a3, d + 48)
    } else {
      store16(a0, d)
      store16(a1, d + 16)
      store16(a2, d + 32)
      store16(a3, d + 48)
    }
    x0 += 16
  }
  while x0 + 4 <= W {
    var a = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let dx = direction * (kx - 1)
        let src = P + 4 * (rowBase + direction * (ky - 1) * W + x0 + dx)
        let wk = w + (ky * 3 + kx) * K * 4
        let mask: SIMDMask<SIMD16<Int32>>? =
          dx == -1 && x0 == 0 ? notFirst : (dx == 1 && x0 + 4 == W ? notLast : nil)
        if let mask {
          for k in 0..<K {
            a = a.replacing(
              with: a + load16(src + 4 * k * N) * tile4(load4(wk + 4 * k)), where: mask)
          }
        } else {
          for k in 0..<K { a = a + load16(src + 4 * k * N) * tile4(load4(wk + 4 * k)) }
        }
      }
    }
    let d = o + 4 * x0
    store16(accumulate ? load16(d) + a : a, d)
    x0 += 4
  }
}

/// dWeight += Σ over positions for a 3×3 kernel with Cin = Cout = 4: lanes are (ci, co), the
/// three taps of a kernel row side by side, each lane summing positions in NHWC order, as
/// `conv2dBackward`; the middle row's pass, which covers every position, also sums dBias (4) if
/// given. S is `splatFour(input)` (N,4,4); W ≥ 2.
func conv3x3WeightGradientWide(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, splat S: UnsafePointer<Float>, B: Int, H: Int, W: Int
) {
  for ky in 0..<3 {
    let yLo = max(0, 1 - ky)
    let yHi = min(H, H + 1 - ky)
    // tN is tap kx = N: input column x − 1 + N; lane 4·ci + co. tb is dBias (ky = 1 only).
    var t0 = SIMD16<Float>()
    var t1 = SIMD16<Float>()
    var t2 = SIMD16<Float>()
    // tb sums dOut over the pass's positions; only the middle row's pass covers them all.
    var tb = SIMD4<Float>()
    for b in 0..<B {
      for y in yLo..<yHi {
        let sRow = S + 16 * ((b * H + y + ky - 1) * W)
        let dRow = dOut + (b * H + y) * W * 4
        let d0 = load4(dRow)
        tb = tb + d0
        t1 = t1 + load16(sRow) * tile4(d0)
        t2 = t2 + load16(sRow + 16) * tile4(d0)
        for x in 1..<(W - 1) {
          let d4 = load4(dRow + 4 * x)
          tb = tb + d4
          let d = tile4(d4)
          let s = sRow + 16 * x
          t0 = t0 + load16(s - 16) * d
          t1 = t1 + load16(s) * d
          t2 = t2 + load16(s + 16) * d
        }
        let dLast = load4(dRow + 4 * (W - 1))
        tb = tb + dLast
        t0 = t0 + load16(sRow + 16 * (W - 2)) * tile4(dLast)
        t1 = t1 + load16(sRow + 16 * (W - 1)) * tile4(dLast)
      }
    }
    let dw = dWeight + ky * 3 * 16
    store16(load16(dw) + t0, dw)
    store16(load16(dw + 16) + t1, dw + 16)
    store16(load16(dw + 32) + t2, dw + 32)
    if ky == 1, let dBias { store4(load4(dBias) + tb, dBias) }
  }
}

/// dWeight += Σ over positions for a 3×3 kernel with Cin = 1, Cout = 4: lanes are (kx, co) for
/// the three taps of a kernel row (lanes 12…15 unused), each summing positions in NHWC order, as
/// `conv2dBackward`. A padded tap adds a zero product, which leaves a sum that starts at +0
/// unchanged bit for bit. The middle row's pass also sums dBias (4) if given. S is
/// `splatFour(input)` (N,4) with 16 Floats of slack after it; W ≥ 2.
func conv3x3WeightGradientWideSingleChannel(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, splat S: UnsafePointer<Float>, B: Int, H: Int, W: Int
) {
  let none = SIMD4<Float>()
  for ky in 0..<3 {
    let yLo = max(0, 1 - ky)
    let yHi = min(H, H + 1 - ky)
    var t = SIMD16<Float>()
    // tb sums dOut over the pass's positions; only the middle row's pass covers them all.
    var tb = SIMD4<Float>()
    for b in 0..<B {
      for y in yLo..<yHi {
        let sRow = S + 4 * ((b * H + y + ky - 1) * W)
        let dRow = dOut + (b * H + y) * W * 4
        // x = 0: the tap kx = 0 reads padding.
        let first = SIMD16(
          lowHalf: SIMD8(lowHalf: none, highHalf: load4(sRow)),
          highHalf: SIMD8(lowHalf: load4(sRow + 4), highHalf: none))
        let d0 = load4(dRow)
        tb = tb + d0
        t = t + first * tile4(d0)
        for x in 1..<(W - 1) {
          // Lanes 12…15 read the next value (or the slack) and are never stored.
          let d = load4(dRow + 4 * x)
          tb = tb + d
          t = t + load16(sRow + 4 * (x - 1)) * tile4(d)
        }
        // x = W − 1: the tap kx = 2 reads padding.
        let last = SIMD16(
          lowHalf: SIMD8(lowHalf: load4(sRow + 4 * (W - 2)), highHalf: load4(sRow + 4 * (W - 1))),
          highHalf: SIMD8(lowHalf: none, highHalf: none))
        let dLast = load4(dRow + 4 * (W - 1))
        tb = tb + dLast
        t = t + last * tile4(dLast)
      }
    }
    let dw = dWeight + ky * 12
    for lane in 0..<12 { dw[lane] += t[lane] }
    if ky == 1, let dBias { store4(load4(dBias) + tb, dBias) }
  }
}
