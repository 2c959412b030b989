// Batch normalisation over (N,H,W) per channel: in training with the batch's own statistics
// (biased variance), trainable γ and β, ε = 1e-3, sums serial over positions in Double; at
// evaluation with the batch's statistics or with moving averages updated once per training step.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The ε added to the variance.
let batchNormEpsilon: Float = 1e-3

/// A copy for `batchNormForward` to make beside its variance: out = `splatFour` of x, which
/// holds `perPosition` values per position.
package typealias BatchNormSplat = (
  out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, perPosition: Int
)

/// out (N,C) = γ·xhat + β, xhat = (input − mean)·rstd; caches xhat (N,C), mean (C), rstd (C)
/// for the backward pass, and the biased batch variance (C) for the moving averages. N counts
/// all positions B·H·W. `sums`, if given, holds each channel's Σ over n = 0, 1, … of
/// Double(input[n, c]), the mean's sum in its order, already made (`conv2dForward`'s
/// `channelSums`). `relu`, if given, also receives the ReLU of out (N,C), made as out is stored
/// (the expression of `reluForward`). `splat`, if given, is a `splatFour` of an unrelated
/// (N, perPosition) buffer, perPosition 1 or 4, made in the variance's pass: that pass is bound
/// by its serial sums' latency, so the copy's loads and stores run in its shadow (the conv
/// layer's input, which the kernel gradients read; same bits as a `splatFour` call).
package func batchNormForward(
  out: UnsafeMutablePointer<Float>, xhat: UnsafeMutablePointer<Float>,
  mean: UnsafeMutablePointer<Float>, variance varianceOut: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>,
  input: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
  N: Int, C: Int, sums: UnsafePointer<Double>? = nil, relu: UnsafeMutablePointer<Float>? = nil,
  splat: BatchNormSplat? = nil
) {
  if let splat, C != 4 || (splat.perPosition != 1 && splat.perPosition != 4) {
    // Only the four-channel pass carries the copy.
    splatFour(out: splat.out, x: splat.x, count: N * splat.perPosition)
    batchNormForward(
      out: out, xhat: xhat, mean: mean, variance: varianceOut, rstd: rstd, input: input,
      gamma: gamma, beta: beta, N: N, C: C, sums: sums, relu: relu)
    return
  }
  if C % 4 == 0 {
    // The same sums with four channels in SIMD lanes (independent chains, each serial over n).
    for cb in stride(from: 0, to: C, by: 4) {
      var sum = SIMD4<Double>()
      if let sums {
        sum = SIMD4(sums[cb], sums[cb + 1], sums[cb + 2], sums[cb + 3])
      } else {
        for n in 0..<N { sum += SIMD4<Double>(load4(input + n * C + cb)) }
      }
      let m = SIMD4<Float>(sum / Double(N))
      var squares = SIMD4<Double>()
      // Three loops rather than one with the copy's choice inside: that branch made batch
      // norm's forward pass half again as slow (perf, cce θ 0.95 with batch norm, Adam).
      if let splat, splat.perPosition == 4 {
        for n in 0..<N {
          let diff = SIMD4<Double>(load4(input + n * C + cb) - m)
          squares += diff * diff
          store16(repeatEach4(load4(splat.x + 4 * n)), splat.out + 16 * n)
        }
      } else if let splat {
        for n in 0..<N {
          let diff = SIMD4<Double>(load4(input + n * C + cb) - m)
          squares += diff * diff
          store4(SIMD4(repeating: splat.x[n]), splat.out + 4 * n)
        }
      } else {
        for n in 0..<N {
          let diff = SIMD4<Double>(load4(input + n * C + cb) - m)
          squares += diff * diff
        }
      }
      let variance = SIMD4<Float>(squares / Double(N))
      let r = 1 / (variance + batchNormEpsilon).squareRoot()
      store4(m, mean + cb)
      store4(variance, varianceOut + cb)
      store4(r, rstd + cb)
      let g = load4(gamma + cb)
      let bt = load4(beta + cb)
      var n = 0
      if C == 4 {
        // Four positions at a time: the same expression in every lane.
        let (m16, r16, g16, b16) = (tile4(m), tile4(r), tile4(g), tile4(bt))
        while n + 4 <= N {
          let i = 4 * n
          let h = (load16(input + i) - m16) * r16
          let y = g16 * h + b16
          store16(h, xhat + i)
          store16(y, out + i)
          if let relu { store16(reluOf(y), relu + i) }
          n += 4
        }
      }
      for n in n..<N {
        let i = n * C + cb
        let h = (load4(input + i) - m) * r
        let y = g * h + bt
        store4(h, xhat + i)
        store4(y, out + i)
        if let relu { store4(reluOf(y), relu + i) }
      }
    }
    return
  }
  for c in 0..<C {
    var sum = 0.0
    if let sums {
      sum = sums[c]
    } else {
      for n in 0..<N { sum += Double(input[n * C + c]) }
    }
    let m = Float(sum / Double(N))
    var squares = 0.0
    for n in 0..<N {
      let diff = Double(input[n * C + c] - m)
      squares += diff * diff
    }
    let variance = Float(squares / Double(N))
    let r = 1 / (variance + batchNormEpsilon).squareRoot()
    mean[c] = m
    varianceOut[c] = variance
    rstd[c] = r
  }
  for n in 0..<N {
    for c in 0..<C {
      let h = (input[n * C + c] - mean[c]) * rstd[c]
      xhat[n * C + c] = h
      let y = gamma[c] * h + beta[c]
      out[n * C + c] = y
      if let relu { relu[n * C + c] = y < 0 ? 0 : y }
    }
  }
}

/// out (N,C) = (input − mean)·(γ·rstd) + β with given statistics (C), rstd = 1/√(variance + ε):
/// batch norm at evaluation with moving averages, in the form of TensorFlow's inference kernel.
/// `relu`, if given, also receives the ReLU of each output (the expression of `reluForward`).
/// Four channels take four positions per `SIMD16`, the same expression in every lane.
package func batchNormInference(
  out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, mean: UnsafePointer<Float>,
  variance: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
  N: Int, C: Int, relu: UnsafeMutablePointer<Float>? = nil
) {
  withUnsafeTemporaryAllocation(of: Float.self, capacity: C) { scales in
    guard let scale = scales.baseAddress else { return }
    for c in 0..<C { scale[c] = 1 / (variance[c] + batchNormEpsilon).squareRoot() * gamma[c] }
    var n = 0
    if C == 4 {
      let (m16, s16, b16) = (tile4(load4(mean)), tile4(load4(scale)), tile4(load4(beta)))
      while n + 4 <= N {
        let y = (load16(input + 4 * n) - m16) * s16 + b16
        store16(y, out + 4 * n)
        if let relu { store16(reluOf(y), relu + 4 * n) }
        n += 4
      }
    }
    for n in n..<N {
      for c in 0..<C {
        let y = (input[n * C + c] - mean[c]) * scale[c] + beta[c]
        out[n * C + c] = y
        if let relu { relu[n * C + c] = y < 0 ? 0 : y }
      }
    }
  }
}

/// Updates one layer's moving averages (C) from a training batch's statistics, as TensorFlow's
/// fused batch norm and Keras do: the variance fed in is Bessel-corrected (N/(N−1) in Float), and
/// `moving −= (moving − batch)·decay` with decay = Float(1 − momentum).
func batchNormUpdateMovingAverages(
  movingMean: UnsafeMutablePointer<Float>, movingVariance: UnsafeMutablePointer<Float>,
  batchMean: UnsafePointer<Float>, batchVariance: UnsafePointer<Float>, momentum: Double, N: Int,
  C: Int
) {
  let decay = Float(1 - momentum)
  let correction = Float(N) / Float(N > 1 ? N - 1 : 1)
  for c in 0..<C {
    movingMean[c] -= (movingMean[c] - batchMean[c]) * decay
    movingVariance[c] -= (movingVariance[c] - batchVariance[c] * correction) * decay
  }
}

/// Accumulates dGamma (C), dBeta (C) and writes dInput (N,C) = 0 + dx from dOut (N,C) (the bits of
/// adding dx to a cleared buffer): dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)),
/// dxhat = γ·dOut.
func batchNormBackward(
  dInput: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
  dBeta: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, xhat: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, N: Int, C: Int
) {
  withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * C) { sums in
    // Per-channel sums Σ dOut and Σ dOut·xhat, each serial over n (channels interleaved).
    guard let sumD = sums.baseAddress else { return }
    let sumDX = sumD + C
    sumD.initialize(repeating: 0, count: 2 * C)
    if C % 4 == 0 {
      for cb in stride(from: 0, to: C, by: 4) {
        var s1 = SIMD4<Double>()
        var s2 = SIMD4<Double>()
        for n in 0..<N {
          let d = SIMD4<Double>(load4(dOut + n * C + cb))
          s1 += d
          s2 += d * SIMD4<Double>(load4(xhat + n * C + cb))
        }
        for lane in 0..<4 {
          sumD[cb + lane] = s1[lane]
          sumDX[cb + lane] = s2[lane]
        }
      }
    } else {
      for n in 0..<N {
        for c in 0..<C {
          let d = Double(dOut[n * C + c])
          sumD[c] += d
          sumDX[c] += d * Double(xhat[n * C + c])
        }
      }
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * C) { means in
      // mean(dxhat) and mean(dxhat·xhat) with dxhat = γ·dOut.
      guard let meanDXhat = means.baseAddress else { return }
      let meanDXhatXhat = meanDXhat + C
      for c in 0..<C {
        dGamma[c] += Float(sumDX[c])
        dBeta[c] += Float(sumD[c])
        let g = Double(gamma[c])
        meanDXhat[c] = Float(g * sumD[c] / Double(N))
        meanDXhatXhat[c] = Float(g * sumDX[c] / Double(N))
      }
      if C % 4 == 0 {
        // The same expression with channels in SIMD lanes.
        for cb in stride(from: 0, to: C, by: 4) {
          let r = load4(rstd + cb)
          let g = load4(gamma + cb)
          let m1 = load4(meanDXhat + cb)
          let m2 = load4(meanDXhatXhat + cb)
          for n in 0..<N {
            let i = n * C + cb
            let update = r * (g * load4(dOut + i) - m1 - load4(xhat + i) * m2)
            store4(SIMD4<Float>() + update, dInput + i)
          }
        }
      } else {
        for n in 0..<N {
          for c in 0..<C {
            let i = n * C + c
            dInput[i] =
              0 + rstd[c] * (gamma[c] * dOut[i] - meanDXhat[c] - xhat[i] * meanDXhatXhat[c])
          }
        }
      }
    }
  }
}

/// One loss's operands of `batchNormReluBackward`: dRelu in; dInput, dGamma and dBeta out.
package typealias BatchNormReluGradients = (
  dInput: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
  dBeta: UnsafeMutablePointer<Float>, dRelu: UnsafePointer<Float>
)

/// `reluBackward` then `batchNormBackward` in one pass, for C a multiple of 4: dInput (N,C) is
/// written, dGamma and dBeta accumulate, from the ReLU's output gradient dRelu (N,C) and its input
/// `normed` (the batch norm output). The ReLU's gradient is made on the fly exactly as
/// `reluBackward` makes it into a cleared buffer (0 + dRelu where normed > 0, else 0 + 0), and
/// every sum and expression is `batchNormBackward`'s, in its order. `second`, if given, is another
/// loss's backward pass through the same layer, run in the same passes: its sums are independent
/// chains beside the first's (each serial in its own order), so the pair is faster than two
/// calls and writes the same bits.
package func batchNormReluBackward(
  dInput: UnsafeMutablePointer<Float>, dGamma: UnsafeMutablePointer<Float>,
  dBeta: UnsafeMutablePointer<Float>, dRelu: UnsafePointer<Float>, normed: UnsafePointer<Float>,
  xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, N: Int,
  C: Int, second: BatchNormReluGradients? = nil
) {
  precondition(C % 4 == 0, "batchNormReluBackward needs channels in fours")
  let first = (dInput, dGamma, dBeta, dRelu)
  if let second {
    batchNormReluBackward(
      first, second, paired: true, normed: normed, xhat: xhat, rstd: rstd, gamma: gamma, N: N,
      C: C)
  } else {
    batchNormReluBackward(
      first, first, paired: false, normed: normed, xhat: xhat, rstd: rstd, gamma: gamma, N: N,
      C: C)
  }
}

@inline(__always)
private func batchNormReluBackward(
  _ first: BatchNormReluGradients, _ second: BatchNormReluGradients, paired: Bool,
  normed: UnsafePointer<Float>, xhat: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
  gamma: UnsafePointer<Float>, N: Int, C: Int
) {
  @inline(__always)
  func dOut(_ dRelu: UnsafePointer<Float>, _ i: Int, _ positive: SIMDMask<SIMD4<Int32>>)
    -> SIMD4<Float>
  {
    SIMD4<Float>() + SIMD4<Float>().replacing(with: load4(dRelu + i), where: positive)
  }
  for cb in stride(from: 0, to: C, by: 4) {
    var s1a = SIMD4<Double>()
    var s2a = SIMD4<Double>()
    var s1b = SIMD4<Double>()
    var s2b = SIMD4<Double>()
    // The sums take the ReLU's gradient without its 0 + (which turns −0 into +0): a sum that
    // starts at +0 is never −0, so adding ±0, or a product of ±0, leaves it the same bits.
    @inline(__always)
    func masked(_ dRelu: UnsafePointer<Float>, _ i: Int, _ positive: SIMDMask<SIMD4<Int32>>)
      -> SIMD4<Double>
    {
      SIMD4<Double>(SIMD4<Float>().replacing(with: load4(dRelu + i), where: positive))
    }
    for n in 0..<N {
      let i = n * C + cb
      let positive = load4(normed + i) .> 0
      let x = SIMD4<Double>(load4(xhat + i))
      let da = masked(first.dRelu, i, positive)
      s1a += da
      s2a += da * x
      if paired {
        let db = masked(second.dRelu, i, positive)
        s1b += db
        s2b += db * x
      }
    }
    let r = load4(rstd + cb)
    let g = load4(gamma + cb)
    // dGamma and dBeta take the sums; the input gradient's two means are made from them.
    @inline(__always)
    func means(_ loss: BatchNormReluGradients, _ s1: SIMD4<Double>, _ s2: SIMD4<Double>)
      -> (SIMD4<Float>, SIMD4<Float>)
    {
      var m1 = SIMD4<Float>()
      var m2 = SIMD4<Float>()
      for lane in 0..<4 {
        loss.dGamma[cb + lane] += Float(s2[lane])
        loss.dBeta[cb + lane] += Float(s1[lane])
        let gl = Double(gamma[cb + lane])
        m1[lane] = Float(gl * s1[lane] / Double(N))
        m2[lane] = Float(gl * s2[lane] / Double(N))
      }
      return (m1, m2)
    }
    @inline(__always)
    func writeInputGradient(
      _ loss: BatchNormReluGradients, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>
    ) {
      var n = 0
      if C == 4 {
        // Four positions at a time: the same expression in every lane.
        let (r16, g16, m16, mm16) = (tile4(r), tile4(g), tile4(m1), tile4(m2))
        while n + 4 <= N {
          let i = 4 * n
          let relu = SIMD16<Float>().replacing(
            with: load16(loss.dRelu + i), where: load16(normed + i) .> 0)
          let update = r16 * (g16 * (SIMD16<Float>() + relu) - m16 - load16(xhat + i) * mm16)
          store16(SIMD16<Float>() + update, loss.dInput + i)
          n += 4
        }
      }
      for n in n..<N {
        let i = n * C + cb
        let update =
          r * (g * dOut(loss.dRelu, i, load4(normed + i) .> 0) - m1 - load4(xhat + i) * m2)
        store4(SIMD4<Float>() + update, loss.dInput + i)
      }
    }
    let (m1a, m2a) = means(first, s1a, s2a)
    writeInputGradient(first, m1a, m2a)
    if paired {
      let (m1b, m2b) = means(second, s1b, s2b)
      writeInputGradient(second, m1b, m2b)
    }
  }
}

// MARK: - Plain references (loops as the formulas read), held to the same summation order.

/// Reference for `batchNormForward` over arrays: returns (out, xhat, mean, rstd).
func batchNormForwardReference(input: [Float], gamma: [Float], beta: [Float], N: Int, C: Int)
  -> (out: [Float], xhat: [Float], mean: [Float], rstd: [Float])
{
  var out = [Float](repeating: 0, count: N * C)
  var xhat = [Float](repeating: 0, count: N * C)
  var mean = [Float](repeating: 0, count: C)
  var rstd = [Float](repeating: 0, count: C)
  for c in 0..<C {
    var sum = 0.0
    for n in 0..<N { sum += Double(input[n * C + c]) }
    mean[c] = Float(sum / Double(N))
    var squares = 0.0
    for n in 0..<N {
      let diff = Double(input[n * C + c] - mean[c])
      squares += diff * diff
    }
    rstd[c] = 1 / (Float(squares / Double(N)) + batchNormEpsilon).squareRoot()
    for n in 0..<N {
      xhat[n * C + c] = (input[n * C + c] - mean[c]) * rstd[c]
      out[n * C + c] = gamma[c] * xhat[n * C + c] + beta[c]
    }
  }
  return (out, xhat, mean, rstd)
}

/// Reference for `batchNormBackward` over arrays, from zero gradients: (dInput, dGamma, dBeta).
func batchNormBackwardReference(
  dOut: [Float], xhat: [Float], rstd: [Float], gamma: [Float], N: Int, C: Int
) -> (dInput: [Float], dGamma: [Float], dBeta: [Float]) {
  var dInput = [Float](repeating: 0, count: N * C)
  var dGamma = [Float](repeating: 0, count: C)
  var dBeta = [Float](repeating: 0, count: C)
  for c in 0..<C {
    var sumD = 0.0
    var sumDX = 0.0
    for n in 0..<N {
      sumD += Double(dOut[n * C + c])
      sumDX += Double(dOut[n * C + c]) * Double(xhat[n * C + c])
    }
    dGamma[c] = Float(sumDX)
    dBeta[c] = Float(sumD)
    let meanDXhat = Float(Double(gamma[c]) * sumD / Double(N))
    let meanDXhatXhat = Float(Double(gamma[c]) * sumDX / Double(N))
    for n in 0..<N {
      let i = n * C + c
      dInput[i] = rstd[c] * (gamma[c] * dOut[i] - meanDXhat - xhat[i] * meanDXhatXhat)
    }
  }
  return (dInput, dGamma, dBeta)
}
