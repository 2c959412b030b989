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

/// Eight (or four) interior output positions of a 3×3 conv with Cout = 4 from the planar splat
/// P (Cin,N,4) of the input: lanes are (position, output channel), each summed as
/// bias, then taps (ky, kx), then ci, as `conv2dForward`. Returns the positions done (8, 4 or 0).
@inline(__always)
func conv3x3ForwardWideBlock(
  out: UnsafeMutablePointer<Float>, planar P: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, b: Int, y: Int, x: Int, kyLo: Int, kyHi: Int, H: Int, W: Int,
  N: Int, Cin: Int
) -> Int {
  let start = bias.map { tile4(load4($0)) } ?? SIMD16<Float>()
  let o = out + ((b * H + y) * W + x) * 4
  if x + 8 <= W - 1 {
    var acc0 = start
    var acc1 = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let base = 4 * ((b * H + y + ky - 1) * W + x + kx - 1)
        let wk = weight + (ky * 3 + kx) * Cin * 4
        for ci in 0..<Cin {
          let w = tile4(load4(wk + ci * 4))
          let p = P + 4 * ci * N + base
          acc0 = acc0 + load16(p) * w
          acc1 = acc1 + load16(p + 16) * w
        }
      }
    }
    store16(acc0, o)
    store16(acc1, o + 16)
    return 8
  }
  if x + 4 <= W - 1 {
    var acc = start
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let base = 4 * ((b * H + y + ky - 1) * W + x + kx - 1)
        let wk = weight + (ky * 3 + kx) * Cin * 4
        for ci in 0..<Cin {
          acc = acc + load16(P + 4 * ci * N + base) * tile4(load4(wk + ci * 4))
        }
      }
    }
    store16(acc, o)
    return 4
  }
  return 0
}

/// Eight (or four) interior positions of a 3×3 conv's input gradient with Cin = 4, from the
/// planar splat DP (Cout,N,4) of dOut and the transposed kernel wT (K,K,Cout,Cin): lanes are
/// (position, input channel), each summed over taps (ky, kx), then co, and added to dInput once,
/// as `conv2dBackward`. Returns the positions done (8, 4 or 0).
@inline(__always)
func conv3x3InputGradientWideBlock(
  dInput: UnsafeMutablePointer<Float>, planar DP: UnsafePointer<Float>,
  transposed wT: UnsafePointer<Float>, b: Int, iy: Int, ix: Int, kyLo: Int, kyHi: Int, H: Int,
  W: Int, N: Int, Cout: Int
) -> Int {
  let di = dInput + ((b * H + iy) * W + ix) * 4
  if ix + 8 <= W - 1 {
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let base = 4 * ((b * H + iy - ky + 1) * W + ix - kx + 1)
        let wt = wT + (ky * 3 + kx) * Cout * 4
        for co in 0..<Cout {
          let w = tile4(load4(wt + co * 4))
          let p = DP + 4 * co * N + base
          acc0 = acc0 + load16(p) * w
          acc1 = acc1 + load16(p + 16) * w
        }
      }
    }
    store16(load16(di) + acc0, di)
    store16(load16(di + 16) + acc1, di + 16)
    return 8
  }
  if ix + 4 <= W - 1 {
    var acc = SIMD16<Float>()
    for ky in kyLo..<kyHi {
      for kx in 0..<3 {
        let base = 4 * ((b * H + iy - ky + 1) * W + ix - kx + 1)
        let wt = wT + (ky * 3 + kx) * Cout * 4
        for co in 0..<Cout {
          acc = acc + load16(DP + 4 * co * N + base) * tile4(load4(wt + co * 4))
        }
      }
    }
    store16(load16(di) + acc, di)
    return 4
  }
  return 0
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
