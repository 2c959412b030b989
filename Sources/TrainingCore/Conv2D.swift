// K×K convolution, stride 1, 'same' zero padding, NHWC activations and (K,K,Cin,Cout) kernels as
// Keras stores them. Each output is one serial sum in a fixed order (padded taps skipped), each
// product term added by one fused multiply-add (`addingProduct`, core version 3); the fast
// kernels and the plain references below use exactly the same order and operations, so they
// agree bitwise.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// out (B,H,W,Cout) = conv(input (B,H,W,Cin), weight (K,K,Cin,Cout)) + bias (Cout) if given.
/// Output channels go four at a time in SIMD lanes when Cout is a multiple of 4; each lane sums
/// in the same order as the scalar path. `wide`, if given, is `planarCopy(input)` with slack on
/// either side (`takeWithSlack`) and room for 144·Cin Floats: a 3×3 conv with Cout = 4 and W a
/// multiple of 4 then runs whole rows in wide lanes (`conv3x3WideRow`). `channelSums`, if given,
/// receives Σ over positions n = 0, 1, … of Double(out[n, c]) for each channel c, in that order
/// (batch norm's mean sum, which the wide rows make as they store). `reluOut`, if given, also
/// receives the ReLU of out (the expression of `reluForward`).
package func conv2dForward(
  out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, wide: WideOperands? = nil, B: Int, H: Int, W: Int,
  Cin: Int, Cout: Int, K: Int, channelSums: UnsafeMutablePointer<Double>? = nil,
  reluOut: UnsafeMutablePointer<Float>? = nil
) {
  if K == 3 && Cout == 4 && W % 4 == 0, let wide {
    let start = bias.map { repeatEach4(load4($0)) } ?? SIMD16<Float>()
    repeatWeightsFour(out: wide.weights, w: weight, K: Cin)
    @inline(__always) func row(_ b: Int, _ y: Int, _ sums: SIMD4<Double>?) -> SIMD4<Double>? {
      let row = (b * H + y) * W
      return conv3x3WideRow(
        out: out + 4 * row, planar: wide.planar, weights: wide.weights, start: start,
        rowBase: row,
        kyLo: max(0, 1 - y), kyHi: min(3, H + 1 - y), W: W, N: B * H * W, K: Cin, direction: 1,
        overCleared: false, summing: sums, reluOut: reluOut.map { $0 + 4 * row })
    }
    if let channelSums {
      var sums = SIMD4<Double>()
      for b in 0..<B {
        for y in 0..<H { sums = row(b, y, sums) ?? sums }
      }
      for c in 0..<4 { channelSums[c] = sums[c] }
    } else {
      for b in 0..<B {
        for y in 0..<H { _ = row(b, y, nil) }
      }
    }
    return
  }
  conv2dForwardSums(
    out: out, input: input, weight: weight, bias: bias, B: B, H: H, W: W, Cin: Cin, Cout: Cout,
    K: K)
  if let channelSums {
    for c in 0..<Cout {
      var sum = 0.0
      for n in 0..<(B * H * W) { sum += Double(out[n * Cout + c]) }
      channelSums[c] = sum
    }
  }
  if let reluOut { reluForward(out: reluOut, input: out, count: B * H * W * Cout) }
}

/// `conv2dForward` by the 1×1, SIMD4 and scalar paths.
private func conv2dForwardSums(
  out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
) {
  if K == 1 && Cin == 4 && Cout == 2 {
    conv1x1ForwardFourToTwo(out: out, input: input, weight: weight, bias: bias, N: B * H * W)
    return
  }
  let pad = K / 2
  let vectorised = Cout % 4 == 0
  for b in 0..<B {
    for y in 0..<H {
      let kyLo = max(0, pad - y)
      let kyHi = min(K, H + pad - y)
      var x = 0
      while x < W {
        let kxLo = max(0, pad - x)
        let kxHi = min(K, W + pad - x)
        let o = out + ((b * H + y) * W + x) * Cout
        if vectorised && x >= pad && x + 6 <= W - pad {
          // Six interior positions at once: independent sums, so six dependency chains.
          for cob in stride(from: 0, to: Cout, by: 4) {
            var acc = Six(repeating: bias.map { load4($0 + cob) } ?? SIMD4<Float>())
            for ky in kyLo..<kyHi {
              for kx in 0..<K {
                let inp = input + ((b * H + y + ky - pad) * W + x + kx - pad) * Cin
                let wk = weight + (ky * K + kx) * Cin * Cout + cob
                for ci in 0..<Cin {
                  acc.add(inp + ci, stride: Cin, times: load4(wk + ci * Cout))
                }
              }
            }
            acc.store(o + cob, stride: Cout)
          }
          x += 6
          continue
        }
        if vectorised && x >= pad && x + 4 <= W - pad {
          // Four interior positions at once: independent sums, so four dependency chains.
          for cob in stride(from: 0, to: Cout, by: 4) {
            let start = bias.map { load4($0 + cob) } ?? SIMD4<Float>()
            var acc0 = start
            var acc1 = start
            var acc2 = start
            var acc3 = start
            for ky in kyLo..<kyHi {
              for kx in 0..<K {
                let inp = input + ((b * H + y + ky - pad) * W + x + kx - pad) * Cin
                let wk = weight + (ky * K + kx) * Cin * Cout + cob
                for ci in 0..<Cin {
                  let w = load4(wk + ci * Cout)
                  acc0 = acc0.addingProduct(SIMD4(repeating: inp[ci]), w)
                  acc1 = acc1.addingProduct(SIMD4(repeating: inp[Cin + ci]), w)
                  acc2 = acc2.addingProduct(SIMD4(repeating: inp[2 * Cin + ci]), w)
                  acc3 = acc3.addingProduct(SIMD4(repeating: inp[3 * Cin + ci]), w)
                }
              }
            }
            store4(acc0, o + cob)
            store4(acc1, o + Cout + cob)
            store4(acc2, o + 2 * Cout + cob)
            store4(acc3, o + 3 * Cout + cob)
          }
          x += 4
          continue
        }
        if vectorised {
          for cob in stride(from: 0, to: Cout, by: 4) {
            var acc = bias.map { load4($0 + cob) } ?? SIMD4<Float>()
            for ky in kyLo..<kyHi {
              for kx in kxLo..<kxHi {
                let inp = input + ((b * H + y + ky - pad) * W + x + kx - pad) * Cin
                let wk = weight + (ky * K + kx) * Cin * Cout + cob
                for ci in 0..<Cin {
                  acc = acc.addingProduct(SIMD4(repeating: inp[ci]), load4(wk + ci * Cout))
                }
              }
            }
            store4(acc, o + cob)
          }
        } else {
          for co in 0..<Cout {
            var acc: Float = bias?[co] ?? 0
            for ky in kyLo..<kyHi {
              for kx in kxLo..<kxHi {
                let inp = input + ((b * H + y + ky - pad) * W + x + kx - pad) * Cin
                let wk = weight + (ky * K + kx) * Cin * Cout + co
                for ci in 0..<Cin { acc = acc.addingProduct(inp[ci], wk[ci * Cout]) }
              }
            }
            o[co] = acc
          }
        }
        x += 1
      }
    }
  }
}

/// One more loss's operands for `conv2dBackward`: its gradients in and out, on the same input
/// and weights.
package typealias ConvGradients = (
  dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
  dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>,
  dOutPlanar: UnsafePointer<Float>?
)

/// The gradients of `conv2dForward` from dOut (B,H,W,Cout): dWeight (K,K,Cin,Cout) and dBias
/// (Cout) if given are accumulated; dInput (B,H,W,Cin), if given, is written as 0 + its sum (the
/// bits of adding the sum to a cleared buffer), so it needs no clearing. `scratch` holds
/// K·K·Cin·Cout Floats for the transposed kernel, and 16·K·K·Cout more for its repeated weights
/// when `dOutPlanar` is given. Every sum runs over output positions in NHWC order (dWeight,
/// dBias) or over taps (ky, kx) then co (dInput), and is added to its gradient once.
/// `inputSplat`, if given, is `splatFour(input)`: the 3×3 kernel gradients then load broadcasts
/// instead of making them (same products, same order, same bits). `dOutPlanar`, if given, is
/// `planarCopy(dOut)` with slack on either side: a 3×3 input gradient with Cin = 4 and W a
/// multiple of 4 then runs whole rows in wide lanes.
/// `second`, if given, is a second loss's backward pass through the same layer: the kernel
/// gradients with Cout = 4 then run both in one pass over the positions (twice the independent
/// sums, each in its own order, so the same bits as two calls). `dInputRelu`, if given, is the
/// input of the ReLU below this layer (B,H,W,Cin): every dInput is then written as that ReLU's
/// gradient, `reluBackward(dInput: …, dOut: dInput, input: dInputRelu)`, made as it is stored
/// (the same expression on the same values, so the same bits as the separate pass).
package func conv2dBackward(
  dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
  dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  inputSplat: UnsafePointer<Float>? = nil, dOutPlanar: UnsafePointer<Float>? = nil,
  weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int,
  Cin: Int, Cout: Int, K: Int, second: ConvGradients? = nil,
  dInputRelu: UnsafePointer<Float>? = nil
) {
  // The kernel gradients, both losses' in one pass where a paired kernel exists.
  let paired = second.map { (dWeight: $0.dWeight, dBias: $0.dBias, dOut: $0.dOut) }
  if let paired, K == 3 && Cout == 4 && Cin == 4 && W >= 2, let inputSplat {
    conv3x3WeightGradientWide(
      dWeight: dWeight, dBias: dBias, dOut: dOut, second: paired, splat: inputSplat, B: B, H: H,
      W: W)
  } else if let paired, K == 3 && Cout == 4 && Cin == 1 && W >= 2, let inputSplat {
    conv3x3WeightGradientWideSingleChannel(
      dWeight: dWeight, dBias: dBias, dOut: dOut, second: paired, splat: inputSplat, B: B, H: H,
      W: W)
  } else if let paired, K == 1 && Cin == 4 && Cout == 2 {
    conv1x1WeightGradientFourToTwo(
      dWeight: dWeight, dBias: dBias, dOut: dOut, second: paired, input: input, N: B * H * W)
  } else {
    conv2dWeightBackward(
      dWeight: dWeight, dBias: dBias, dOut: dOut, input: input, inputSplat: inputSplat, B: B,
      H: H, W: W, Cin: Cin, Cout: Cout, K: K)
    if let second {
      conv2dWeightBackward(
        dWeight: second.dWeight, dBias: second.dBias, dOut: second.dOut, input: input,
        inputSplat: inputSplat, B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K)
    }
  }
  if let dInput {
    conv2dInputBackward(
      dInput: dInput, dOut: dOut, dOutPlanar: dOutPlanar, weight: weight,
      scratch: scratch, B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K, relu: dInputRelu)
  }
  if let second, let dInput = second.dInput {
    conv2dInputBackward(
      dInput: dInput, dOut: second.dOut, dOutPlanar: second.dOutPlanar,
      weight: weight, scratch: scratch, B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K,
      relu: dInputRelu)
  }
}

/// dWeight and dBias (if given) of `conv2dBackward` for one loss.
private func conv2dWeightBackward(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, input: UnsafePointer<Float>, inputSplat: UnsafePointer<Float>?,
  B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
) {
  // The kernels below fold dBias into their pass over the positions (the same serial sums).
  var biasDone = false
  var weightDone = false
  if K == 3 && Cout == 4 && Cin == 4 && W >= 2, let inputSplat {
    conv3x3WeightGradientWide(
      dWeight: dWeight, dBias: dBias, dOut: dOut, splat: inputSplat, B: B, H: H, W: W)
    (biasDone, weightDone) = (true, true)
  } else if K == 3 && Cout == 4 && Cin == 1 && W >= 2, let inputSplat {
    conv3x3WeightGradientWideSingleChannel(
      dWeight: dWeight, dBias: dBias, dOut: dOut, splat: inputSplat, B: B, H: H, W: W)
    (biasDone, weightDone) = (true, true)
  } else if K == 1 && Cin == 4 && Cout == 2 {
    conv1x1WeightGradientFourToTwo(
      dWeight: dWeight, dBias: dBias, dOut: dOut, input: input, N: B * H * W)
    (biasDone, weightDone) = (true, true)
  }
  if let dBias, !biasDone {
    // dBias[co] = Σ_{b,y,x} dOut[b,y,x,co], channels side by side (independent chains).
    let N = B * H * W
    var co = 0
    while co + 4 <= Cout {
      var acc = SIMD4<Float>()
      for n in 0..<N { acc = acc + load4(dOut + n * Cout + co) }
      store4(load4(dBias + co) + acc, dBias + co)
      co += 4
    }
    if co + 2 <= Cout {
      var acc0: Float = 0
      var acc1: Float = 0
      for n in 0..<N {
        acc0 += dOut[n * Cout + co]
        acc1 += dOut[n * Cout + co + 1]
      }
      dBias[co] += acc0
      dBias[co + 1] += acc1
      co += 2
    }
    while co < Cout {
      var acc: Float = 0
      for n in 0..<N { acc += dOut[n * Cout + co] }
      dBias[co] += acc
      co += 1
    }
  }
  // dWeight[ky,kx,ci,co] = Σ_{b,y,x} input[b, y+ky−pad, x+kx−pad, ci] · dOut[b,y,x,co]
  if weightDone {
  } else if K == 3 && Cout % 4 == 0 && Cin % 4 != 0 {
    conv3x3WeightGradientByRow(
      dWeight: dWeight, dOut: dOut, input: input, inputSplat: inputSplat, B: B, H: H, W: W,
      Cin: Cin, Cout: Cout)
  } else if K == 3 && Cout % 4 == 0 {
    conv3x3WeightGradientByRowBlocked(
      dWeight: dWeight, dOut: dOut, input: input, inputSplat: inputSplat, B: B, H: H, W: W,
      Cin: Cin, Cout: Cout)
  } else if K == 1 && Cin % 4 == 0 {
    conv1x1WeightGradient(
      dWeight: dWeight, dOut: dOut, input: input, N: B * H * W, Cin: Cin, Cout: Cout)
  } else {
    conv2dWeightGradientByTap(
      dWeight: dWeight, dOut: dOut, input: input, B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K)
  }
}

/// dInput of `conv2dBackward` for one loss, written whole.
private func conv2dInputBackward(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
  dOutPlanar: UnsafePointer<Float>?, weight: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int,
  relu: UnsafePointer<Float>?
) {
  if K == 1 && Cin == 4 && Cout == 2 {
    conv1x1InputGradientTwoToFour(
      dInput: dInput, dOut: dOut, weight: weight, N: B * H * W, relu: relu)
    return
  }
  if K == 3 && Cin == 4 && W % 4 == 0, let dOutPlanar {
    conv3x3InputGradientWide(
      dInput: dInput, dOutPlanar: dOutPlanar, weight: weight, scratch: scratch, B: B, H: H, W: W,
      Cout: Cout, relu: relu)
    return
  }
  conv2dInputGradientSums(
    dInput: dInput, dOut: dOut, weight: weight, scratch: scratch, B: B, H: H, W: W, Cin: Cin,
    Cout: Cout, K: K)
  if let relu { reluBackward(dInput: dInput, dOut: dInput, input: relu, count: B * H * W * Cin) }
}

/// The kernel transposed to (K,K,Cout,Cin) into scratch, so input channels sit side by side.
@inline(__always)
private func transposeKernel(
  _ weight: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>, K: Int, Cin: Int,
  Cout: Int
) {
  for k in 0..<(K * K) {
    for ci in 0..<Cin {
      for co in 0..<Cout {
        scratch[(k * Cout + co) * Cin + ci] = weight[(k * Cin + ci) * Cout + co]
      }
    }
  }
}

/// dInput of a 3×3 conv with Cin = 4 and W a multiple of 4, whole rows in wide lanes.
private func conv3x3InputGradientWide(
  dInput: UnsafeMutablePointer<Float>, dOutPlanar: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int,
  Cout: Int, relu: UnsafePointer<Float>?
) {
  transposeKernel(weight, into: scratch, K: 3, Cin: 4, Cout: Cout)
  let repeated = scratch + 9 * 4 * Cout
  repeatWeightsFour(out: repeated, w: scratch, K: Cout)
  for b in 0..<B {
    for iy in 0..<H {
      let row = (b * H + iy) * W
      conv3x3WideRow(
        out: dInput + 4 * row, planar: dOutPlanar, weights: repeated, start: SIMD16(),
        rowBase: row, kyLo: max(0, iy + 2 - H), kyHi: min(3, iy + 2), W: W, N: B * H * W,
        K: Cout, direction: -1, overCleared: true, relu: relu.map { $0 + 4 * row })
    }
  }
}

/// dInput of `conv2dBackward` by the SIMD4 and scalar paths, written whole.
private func conv2dInputGradientSums(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
) {
  let pad = K / 2

  // dInput[b,iy,ix,ci] = Σ_{ky,kx} Σ_co weight[ky,kx,ci,co] · dOut[b, iy−ky+pad, ix−kx+pad, co]
  transposeKernel(weight, into: scratch, K: K, Cin: Cin, Cout: Cout)
  for b in 0..<B {
    for iy in 0..<H {
      let kyLo = max(0, iy + pad - H + 1)
      let kyHi = min(K, iy + pad + 1)
      var ix = 0
      while ix < W {
        let kxLo = max(0, ix + pad - W + 1)
        let kxHi = min(K, ix + pad + 1)
        let di = dInput + ((b * H + iy) * W + ix) * Cin
        if Cin % 4 == 0 && ix >= pad && ix + 6 <= W - pad {
          // Six interior positions at once: independent sums, so six dependency chains.
          for cib in stride(from: 0, to: Cin, by: 4) {
            var acc = Six()
            for ky in kyLo..<kyHi {
              for kx in 0..<K {
                let d = dOut + ((b * H + iy - ky + pad) * W + ix - kx + pad) * Cout
                let wt = scratch + (ky * K + kx) * Cout * Cin + cib
                for co in 0..<Cout {
                  acc.add(d + co, stride: Cout, times: load4(wt + co * Cin))
                }
              }
            }
            acc.storeOverCleared(di + cib, stride: Cin)
          }
          ix += 6
          continue
        }
        if Cin % 4 == 0 && ix >= pad && ix + 4 <= W - pad {
          // Four interior positions at once: independent sums, so four dependency chains.
          for cib in stride(from: 0, to: Cin, by: 4) {
            var acc0 = SIMD4<Float>()
            var acc1 = SIMD4<Float>()
            var acc2 = SIMD4<Float>()
            var acc3 = SIMD4<Float>()
            for ky in kyLo..<kyHi {
              for kx in 0..<K {
                let d = dOut + ((b * H + iy - ky + pad) * W + ix - kx + pad) * Cout
                let wt = scratch + (ky * K + kx) * Cout * Cin + cib
                for co in 0..<Cout {
                  let w = load4(wt + co * Cin)
                  acc0 = acc0.addingProduct(SIMD4(repeating: d[co]), w)
                  acc1 = acc1.addingProduct(SIMD4(repeating: d[Cout + co]), w)
                  acc2 = acc2.addingProduct(SIMD4(repeating: d[2 * Cout + co]), w)
                  acc3 = acc3.addingProduct(SIMD4(repeating: d[3 * Cout + co]), w)
                }
              }
            }
            store4(SIMD4<Float>() + acc0, di + cib)
            store4(SIMD4<Float>() + acc1, di + Cin + cib)
            store4(SIMD4<Float>() + acc2, di + 2 * Cin + cib)
            store4(SIMD4<Float>() + acc3, di + 3 * Cin + cib)
          }
          ix += 4
          continue
        }
        if Cin % 4 == 0 {
          for cib in stride(from: 0, to: Cin, by: 4) {
            var acc = SIMD4<Float>()
            for ky in kyLo..<kyHi {
              for kx in kxLo..<kxHi {
                let d = dOut + ((b * H + iy - ky + pad) * W + ix - kx + pad) * Cout
                let wt = scratch + (ky * K + kx) * Cout * Cin + cib
                for co in 0..<Cout {
                  acc = acc.addingProduct(SIMD4(repeating: d[co]), load4(wt + co * Cin))
                }
              }
            }
            store4(SIMD4<Float>() + acc, di + cib)
          }
        } else {
          for ci in 0..<Cin {
            var acc: Float = 0
            for ky in kyLo..<kyHi {
              for kx in kxLo..<kxHi {
                let d = dOut + ((b * H + iy - ky + pad) * W + ix - kx + pad) * Cout
                let wt = scratch + (ky * K + kx) * Cout * Cin + ci
                for co in 0..<Cout { acc = acc.addingProduct(d[co], wt[co * Cin]) }
              }
            }
            di[ci] = 0 + acc
          }
        }
        ix += 1
      }
    }
  }
}

/// dWeight += Σ over positions, one kernel tap (ky, kx) at a time; see `conv2dBackward`.
private func conv2dWeightGradientByTap(
  dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
) {
  let pad = K / 2
  for ky in 0..<K {
    let yLo = max(0, pad - ky)
    let yHi = min(H, H + pad - ky)
    for kx in 0..<K {
      let xLo = max(0, pad - kx)
      let xHi = min(W, W + pad - kx)
      var ci = 0
      while ci < Cin {
        let dw = dWeight + ((ky * K + kx) * Cin + ci) * Cout
        if Cout % 4 == 0 && ci + 4 <= Cin {
          // Four input channels at once: independent sums, so four dependency chains.
          for cob in stride(from: 0, to: Cout, by: 4) {
            var acc0 = SIMD4<Float>()
            var acc1 = SIMD4<Float>()
            var acc2 = SIMD4<Float>()
            var acc3 = SIMD4<Float>()
            for b in 0..<B {
              for y in yLo..<yHi {
                let inRow = input + ((b * H + y + ky - pad) * W + kx - pad) * Cin + ci
                let dRow = dOut + (b * H + y) * W * Cout + cob
                for x in xLo..<xHi {
                  let d = load4(dRow + x * Cout)
                  let i = inRow + x * Cin
                  acc0 = acc0.addingProduct(SIMD4(repeating: i[0]), d)
                  acc1 = acc1.addingProduct(SIMD4(repeating: i[1]), d)
                  acc2 = acc2.addingProduct(SIMD4(repeating: i[2]), d)
                  acc3 = acc3.addingProduct(SIMD4(repeating: i[3]), d)
                }
              }
            }
            store4(load4(dw + cob) + acc0, dw + cob)
            store4(load4(dw + Cout + cob) + acc1, dw + Cout + cob)
            store4(load4(dw + 2 * Cout + cob) + acc2, dw + 2 * Cout + cob)
            store4(load4(dw + 3 * Cout + cob) + acc3, dw + 3 * Cout + cob)
          }
          ci += 4
        } else if Cout % 4 == 0 {
          for cob in stride(from: 0, to: Cout, by: 4) {
            var acc = SIMD4<Float>()
            for b in 0..<B {
              for y in yLo..<yHi {
                let inRow = input + ((b * H + y + ky - pad) * W + kx - pad) * Cin + ci
                let dRow = dOut + (b * H + y) * W * Cout + cob
                for x in xLo..<xHi {
                  acc = acc.addingProduct(SIMD4(repeating: inRow[x * Cin]), load4(dRow + x * Cout))
                }
              }
            }
            store4(load4(dw + cob) + acc, dw + cob)
          }
          ci += 1
        } else if ci + 4 <= Cin {
          // Scalar lanes, four input channels at once (four dependency chains).
          for co in 0..<Cout {
            var acc0: Float = 0
            var acc1: Float = 0
            var acc2: Float = 0
            var acc3: Float = 0
            for b in 0..<B {
              for y in yLo..<yHi {
                let inRow = input + ((b * H + y + ky - pad) * W + kx - pad) * Cin + ci
                let dRow = dOut + (b * H + y) * W * Cout + co
                for x in xLo..<xHi {
                  let d = dRow[x * Cout]
                  let i = inRow + x * Cin
                  acc0 = acc0.addingProduct(i[0], d)
                  acc1 = acc1.addingProduct(i[1], d)
                  acc2 = acc2.addingProduct(i[2], d)
                  acc3 = acc3.addingProduct(i[3], d)
                }
              }
            }
            dw[co] += acc0
            dw[Cout + co] += acc1
            dw[2 * Cout + co] += acc2
            dw[3 * Cout + co] += acc3
          }
          ci += 4
        } else {
          for co in 0..<Cout {
            var acc: Float = 0
            for b in 0..<B {
              for y in yLo..<yHi {
                let inRow = input + ((b * H + y + ky - pad) * W + kx - pad) * Cin + ci
                let dRow = dOut + (b * H + y) * W * Cout + co
                for x in xLo..<xHi { acc = acc.addingProduct(inRow[x * Cin], dRow[x * Cout]) }
              }
            }
            dw[co] += acc
          }
          ci += 1
        }
      }
    }
  }
}

/// dWeight += Σ over positions for a 3×3 kernel with few input channels: the three taps of a
/// kernel row run together (three dependency chains), each still summing positions in NHWC order.
private func conv3x3WeightGradientByRow(
  dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  inputSplat: UnsafePointer<Float>?, B: Int, H: Int, W: Int, Cin: Int, Cout: Int
) {
  for ky in 0..<3 {
    let yLo = max(0, 1 - ky)
    let yHi = min(H, H + 1 - ky)
    for ci in 0..<Cin {
      for cob in stride(from: 0, to: Cout, by: 4) {
        // acc0, acc1, acc2 are taps kx = 0, 1, 2: input column x − 1, x, x + 1.
        var acc0 = SIMD4<Float>()
        var acc1 = SIMD4<Float>()
        var acc2 = SIMD4<Float>()
        for b in 0..<B {
          for y in yLo..<yHi {
            let inRow = input + ((b * H + y + ky - 1) * W) * Cin + ci
            let dRow = dOut + (b * H + y) * W * Cout + cob
            if W == 1 {
              acc1 = acc1.addingProduct(SIMD4(repeating: inRow[0]), load4(dRow))
              continue
            }
            if let inputSplat {
              // The same products from broadcasts in memory: 4 Floats per input value.
              let sRow = inputSplat + 4 * (((b * H + y + ky - 1) * W) * Cin + ci)
              let s = 4 * Cin
              let d0 = load4(dRow)
              acc1 = acc1.addingProduct(load4(sRow), d0)
              acc2 = acc2.addingProduct(load4(sRow + s), d0)
              for x in 1..<(W - 1) {
                let d = load4(dRow + x * Cout)
                acc0 = acc0.addingProduct(load4(sRow + (x - 1) * s), d)
                acc1 = acc1.addingProduct(load4(sRow + x * s), d)
                acc2 = acc2.addingProduct(load4(sRow + (x + 1) * s), d)
              }
              let dLast = load4(dRow + (W - 1) * Cout)
              acc0 = acc0.addingProduct(load4(sRow + (W - 2) * s), dLast)
              acc1 = acc1.addingProduct(load4(sRow + (W - 1) * s), dLast)
              continue
            }
            let d0 = load4(dRow)
            acc1 = acc1.addingProduct(SIMD4(repeating: inRow[0]), d0)
            acc2 = acc2.addingProduct(SIMD4(repeating: inRow[Cin]), d0)
            for x in 1..<(W - 1) {
              let d = load4(dRow + x * Cout)
              acc0 = acc0.addingProduct(SIMD4(repeating: inRow[(x - 1) * Cin]), d)
              acc1 = acc1.addingProduct(SIMD4(repeating: inRow[x * Cin]), d)
              acc2 = acc2.addingProduct(SIMD4(repeating: inRow[(x + 1) * Cin]), d)
            }
            let dLast = load4(dRow + (W - 1) * Cout)
            acc0 = acc0.addingProduct(SIMD4(repeating: inRow[(W - 2) * Cin]), dLast)
            acc1 = acc1.addingProduct(SIMD4(repeating: inRow[(W - 1) * Cin]), dLast)
          }
        }
        let dw = dWeight + (ky * 3 * Cin + ci) * Cout + cob
        store4(load4(dw) + acc0, dw)
        store4(load4(dw + Cin * Cout) + acc1, dw + Cin * Cout)
        store4(load4(dw + 2 * Cin * Cout) + acc2, dw + 2 * Cin * Cout)
      }
    }
  }
}

/// dWeight += Σ over positions for a 3×3 kernel with Cin and Cout multiples of 4: the three taps
/// of a kernel row and four input channels run together (twelve dependency chains), each still
/// summing positions in NHWC order. One load of four input channels serves four chains.
private func conv3x3WeightGradientByRowBlocked(
  dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  inputSplat: UnsafePointer<Float>?, B: Int, H: Int, W: Int, Cin: Int, Cout: Int
) {
  for ky in 0..<3 {
    let yLo = max(0, 1 - ky)
    let yHi = min(H, H + 1 - ky)
    for cib in stride(from: 0, to: Cin, by: 4) {
      for cob in stride(from: 0, to: Cout, by: 4) {
        // tN.j is tap kx = N (input column x − 1 + N), input channel cib + j.
        var t0 = Quad()
        var t1 = Quad()
        var t2 = Quad()
        for b in 0..<B {
          for y in yLo..<yHi {
            let inRow = input + ((b * H + y + ky - 1) * W) * Cin + cib
            let dRow = dOut + (b * H + y) * W * Cout + cob
            if W == 1 {
              t1.add(load4(inRow), times: load4(dRow))
              continue
            }
            if let inputSplat {
              // The same products from broadcasts in memory: 4 Floats per input value.
              let sRow = inputSplat + 4 * (((b * H + y + ky - 1) * W) * Cin + cib)
              let s = 4 * Cin
              let d0 = load4(dRow)
              t1.add(splat: sRow, times: d0)
              t2.add(splat: sRow + s, times: d0)
              for x in 1..<(W - 1) {
                let d = load4(dRow + x * Cout)
                t0.add(splat: sRow + (x - 1) * s, times: d)
                t1.add(splat: sRow + x * s, times: d)
                t2.add(splat: sRow + (x + 1) * s, times: d)
              }
              let dLast = load4(dRow + (W - 1) * Cout)
              t0.add(splat: sRow + (W - 2) * s, times: dLast)
              t1.add(splat: sRow + (W - 1) * s, times: dLast)
              continue
            }
            let d0 = load4(dRow)
            t1.add(load4(inRow), times: d0)
            t2.add(load4(inRow + Cin), times: d0)
            for x in 1..<(W - 1) {
              let d = load4(dRow + x * Cout)
              t0.add(load4(inRow + (x - 1) * Cin), times: d)
              t1.add(load4(inRow + x * Cin), times: d)
              t2.add(load4(inRow + (x + 1) * Cin), times: d)
            }
            let dLast = load4(dRow + (W - 1) * Cout)
            t0.add(load4(inRow + (W - 2) * Cin), times: dLast)
            t1.add(load4(inRow + (W - 1) * Cin), times: dLast)
          }
        }
        let dw = dWeight + (ky * 3 * Cin + cib) * Cout + cob
        t0.addTo(dw, stride: Cout)
        t1.addTo(dw + Cin * Cout, stride: Cout)
        t2.addTo(dw + 2 * Cin * Cout, stride: Cout)
      }
    }
  }
}

/// dWeight += Σ over positions for a 1×1 kernel with Cin a multiple of 4: input channels in
/// lanes, two output channels at a time; each sum runs over positions in NHWC order.
private func conv1x1WeightGradient(
  dWeight: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  N: Int, Cin: Int, Cout: Int
) {
  for cib in stride(from: 0, to: Cin, by: 4) {
    var co = 0
    while co < Cout {
      // accA is output channel co, accB co + 1 (unused when co is the last channel).
      let pair = co + 1 < Cout
      var accA = SIMD4<Float>()
      var accB = SIMD4<Float>()
      if pair {
        for n in 0..<N {
          let i = load4(input + n * Cin + cib)
          let d = dOut + n * Cout + co
          accA = accA.addingProduct(i, SIMD4(repeating: d[0]))
          accB = accB.addingProduct(i, SIMD4(repeating: d[1]))
        }
      } else {
        for n in 0..<N {
          accA = accA.addingProduct(
            load4(input + n * Cin + cib), SIMD4(repeating: dOut[n * Cout + co]))
        }
      }
      for j in 0..<4 {
        dWeight[(cib + j) * Cout + co] += accA[j]
        if pair { dWeight[(cib + j) * Cout + co + 1] += accB[j] }
      }
      co += pair ? 2 : 1
    }
  }
}

/// out (N,2) = bias + Σ_ci input[n,ci]·weight[ci,co] for a 1×1 conv from four channels to two
/// (the output layer), each sum in the order bias, then ci, as `conv2dForward`.
private func conv1x1ForwardFourToTwo(
  out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  bias: UnsafePointer<Float>?, N: Int
) {
  let b0 = bias?[0] ?? 0
  let b1 = bias?[1] ?? 0
  let (w00, w01, w10, w11) = (weight[0], weight[1], weight[2], weight[3])
  let (w20, w21, w30, w31) = (weight[4], weight[5], weight[6], weight[7])
  for n in 0..<N {
    let i = input + 4 * n
    var a0 = b0
    var a1 = b1
    a0 = a0.addingProduct(i[0], w00)
    a1 = a1.addingProduct(i[0], w01)
    a0 = a0.addingProduct(i[1], w10)
    a1 = a1.addingProduct(i[1], w11)
    a0 = a0.addingProduct(i[2], w20)
    a1 = a1.addingProduct(i[2], w21)
    a0 = a0.addingProduct(i[3], w30)
    a1 = a1.addingProduct(i[3], w31)
    out[2 * n] = a0
    out[2 * n + 1] = a1
  }
}

/// dWeight (1,1,4,2) and dBias (2) += Σ over positions for the 1×1 output conv, one pass: input
/// channels in lanes for each output channel, each sum serial over positions as
/// `conv2dBackward`. `second`, if given, is another loss's dOut, summed in the same pass.
private func conv1x1WeightGradientFourToTwo(
  dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>?,
  dOut: UnsafePointer<Float>, second: KernelGradient? = nil, input: UnsafePointer<Float>, N: Int
) {
  let first = (dWeight, dBias, dOut)
  if let second {
    conv1x1WeightGradientFourToTwo(first, second, paired: true, input: input, N: N)
  } else {
    conv1x1WeightGradientFourToTwo(first, first, paired: false, input: input, N: N)
  }
}

/// The sums of `conv1x1WeightGradientFourToTwo` for one loss.
private struct OutputKernelSums {
  var accA = SIMD4<Float>()
  var accB = SIMD4<Float>()
  var bias0: Float = 0
  var bias1: Float = 0

  @inline(__always)
  mutating func add(_ i: SIMD4<Float>, _ dOut: UnsafePointer<Float>) {
    let d0 = dOut[0]
    let d1 = dOut[1]
    accA = accA.addingProduct(i, SIMD4(repeating: d0))
    accB = accB.addingProduct(i, SIMD4(repeating: d1))
    bias0 += d0
    bias1 += d1
  }

  func addTo(_ g: KernelGradient) {
    for j in 0..<4 {
      g.dWeight[j * 2] += accA[j]
      g.dWeight[j * 2 + 1] += accB[j]
    }
    if let dBias = g.dBias {
      dBias[0] += bias0
      dBias[1] += bias1
    }
  }
}

@inline(__always)
private func conv1x1WeightGradientFourToTwo(
  _ first: KernelGradient, _ second: KernelGradient, paired: Bool, input: UnsafePointer<Float>,
  N: Int
) {
  var a = OutputKernelSums()
  var b = OutputKernelSums()
  for n in 0..<N {
    let i = load4(input + 4 * n)
    a.add(i, first.dOut + 2 * n)
    if paired { b.add(i, second.dOut + 2 * n) }
  }
  a.addTo(first)
  if paired { b.addTo(second) }
}

/// dInput (N,4) = 0 + Σ_co weight[ci,co]·dOut[n,co] for the 1×1 output conv, summed over co in
/// order from zero, as `conv2dBackward`.
private func conv1x1InputGradientTwoToFour(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, weight: UnsafePointer<Float>,
  N: Int, relu: UnsafePointer<Float>?
) {
  let w0 = SIMD4(weight[0], weight[2], weight[4], weight[6])
  let w1 = SIMD4(weight[1], weight[3], weight[5], weight[7])
  // Four positions at a time: dOut's pairs spread to four lanes each, the same sums per lane.
  let (w016, w116) = (tile4(w0), tile4(w1))
  var start = 0
  while start + 4 <= N {
    let d = load8(dOut + 2 * start)
    let d0 = SIMD16(
      d[0], d[0], d[0], d[0], d[2], d[2], d[2], d[2], d[4], d[4], d[4], d[4], d[6], d[6], d[6],
      d[6])
    let d1 = SIMD16(
      d[1], d[1], d[1], d[1], d[3], d[3], d[3], d[3], d[5], d[5], d[5], d[5], d[7], d[7], d[7],
      d[7])
    var acc = SIMD16<Float>()
    acc = acc.addingProduct(d0, w016)
    acc = acc.addingProduct(d1, w116)
    let g = SIMD16<Float>() + acc
    let i = 4 * start
    store16(relu.map { reluGradient(g, load16($0 + i)) } ?? g, dInput + i)
    start += 4
  }
  for n in start..<N {
    var acc = SIMD4<Float>()
    acc = acc.addingProduct(SIMD4(repeating: dOut[2 * n]), w0)
    acc = acc.addingProduct(SIMD4(repeating: dOut[2 * n + 1]), w1)
    let g = SIMD4<Float>() + acc
    store4(relu.map { reluGradient(g, load4($0 + 4 * n)) } ?? g, dInput + 4 * n)
  }
}

/// Four SIMD4 accumulators: lane sums of four input channels against a vector of four outputs.
private struct Quad {
  var a0 = SIMD4<Float>()
  var a1 = SIMD4<Float>()
  var a2 = SIMD4<Float>()
  var a3 = SIMD4<Float>()

  /// aj += i[j]·d for j = 0…3.
  @inline(__always)
  mutating func add(_ i: SIMD4<Float>, times d: SIMD4<Float>) {
    a0 = a0.addingProduct(SIMD4(repeating: i[0]), d)
    a1 = a1.addingProduct(SIMD4(repeating: i[1]), d)
    a2 = a2.addingProduct(SIMD4(repeating: i[2]), d)
    a3 = a3.addingProduct(SIMD4(repeating: i[3]), d)
  }

  /// aj += s[4j…4j+3]·d for j = 0…3, where s holds four input values each repeated four times.
  @inline(__always)
  mutating func add(splat s: UnsafePointer<Float>, times d: SIMD4<Float>) {
    a0 = a0.addingProduct(load4(s), d)
    a1 = a1.addingProduct(load4(s + 4), d)
    a2 = a2.addingProduct(load4(s + 8), d)
    a3 = a3.addingProduct(load4(s + 12), d)
  }

  /// p[j·stride …] += aj.
  @inline(__always)
  func addTo(_ p: UnsafeMutablePointer<Float>, stride: Int) {
    store4(load4(p) + a0, p)
    store4(load4(p + stride) + a1, p + stride)
    store4(load4(p + 2 * stride) + a2, p + 2 * stride)
    store4(load4(p + 3 * stride) + a3, p + 3 * stride)
  }
}

/// out (count·4) = every value of x (count) repeated four times, so kernels can load a
/// broadcast instead of making one per use.
package func splatFour(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
  // Four values at a time, one whole-line store.
  var i = 0
  while i + 4 <= count {
    store16(repeatEach4(load4(x + i)), out + 4 * i)
    i += 4
  }
  for i in i..<count { store4(SIMD4(repeating: x[i]), out + 4 * i) }
}

/// Six SIMD4 accumulators for six positions: sums of a broadcast scalar per position times a
/// shared vector.
private struct Six {
  var a0: SIMD4<Float>
  var a1: SIMD4<Float>
  var a2: SIMD4<Float>
  var a3: SIMD4<Float>
  var a4: SIMD4<Float>
  var a5: SIMD4<Float>

  @inline(__always)
  init(repeating start: SIMD4<Float> = SIMD4<Float>()) {
    a0 = start
    a1 = start
    a2 = start
    a3 = start
    a4 = start
    a5 = start
  }

  /// aj = aj + s[j·stride]·w for j = 0…5.
  @inline(__always)
  mutating func add(_ s: UnsafePointer<Float>, stride: Int, times w: SIMD4<Float>) {
    a0 = a0.addingProduct(SIMD4(repeating: s[0]), w)
    a1 = a1.addingProduct(SIMD4(repeating: s[stride]), w)
    a2 = a2.addingProduct(SIMD4(repeating: s[2 * stride]), w)
    a3 = a3.addingProduct(SIMD4(repeating: s[3 * stride]), w)
    a4 = a4.addingProduct(SIMD4(repeating: s[4 * stride]), w)
    a5 = a5.addingProduct(SIMD4(repeating: s[5 * stride]), w)
  }

  /// p[j·stride …] = aj.
  @inline(__always)
  func store(_ p: UnsafeMutablePointer<Float>, stride: Int) {
    store4(a0, p)
    store4(a1, p + stride)
    store4(a2, p + 2 * stride)
    store4(a3, p + 3 * stride)
    store4(a4, p + 4 * stride)
    store4(a5, p + 5 * stride)
  }

  /// p[j·stride …] = 0 + aj: the bits of adding aj to a cleared buffer.
  @inline(__always)
  func storeOverCleared(_ p: UnsafeMutablePointer<Float>, stride: Int) {
    let zero = SIMD4<Float>()
    store4(zero + a0, p)
    store4(zero + a1, p + stride)
    store4(zero + a2, p + 2 * stride)
    store4(zero + a3, p + 3 * stride)
    store4(zero + a4, p + 4 * stride)
    store4(zero + a5, p + 5 * stride)
  }
}

// MARK: - Plain references (loops as the formula reads), held to the same summation order.

/// Reference for `conv2dForward` over arrays:
/// out[b,y,x,co] = bias[co] + Σ_{ky,kx,ci} input[b, y+ky−pad, x+kx−pad, ci] · weight[ky,kx,ci,co].
func conv2dForwardReference(
  input: [Float], weight: [Float], bias: [Float]?, B: Int, H: Int, W: Int, Cin: Int, Cout: Int,
  K: Int
) -> [Float] {
  var out = [Float](repeating: 0, count: B * H * W * Cout)
  let pad = K / 2
  for b in 0..<B {
    for y in 0..<H {
      for x in 0..<W {
        for co in 0..<Cout {
          var sum: Float = bias?[co] ?? 0
          for ky in 0..<K {
            for kx in 0..<K {
              let iy = y + ky - pad
              let ix = x + kx - pad
              if iy < 0 || iy >= H || ix < 0 || ix >= W { continue }
              for ci in 0..<Cin {
                sum = sum.addingProduct(
                  input[((b * H + iy) * W + ix) * Cin + ci],
                  weight[((ky * K + kx) * Cin + ci) * Cout + co])
              }
            }
          }
          out[((b * H + y) * W + x) * Cout + co] = sum
        }
      }
    }
  }
  return out
}

/// Reference for `conv2dBackward` over arrays, from zero gradients:
/// dWeight[ky,kx,ci,co] = Σ_{b,y,x} input[b, y+ky−pad, x+kx−pad, ci] · dOut[b,y,x,co],
/// dBias[co] = Σ_{b,y,x} dOut[b,y,x,co],
/// dInput[b,iy,ix,ci] = Σ_{ky,kx,co} weight[ky,kx,ci,co] · dOut[b, iy−ky+pad, ix−kx+pad, co].
func conv2dBackwardReference(
  dOut: [Float], input: [Float], weight: [Float], B: Int, H: Int, W: Int, Cin: Int, Cout: Int,
  K: Int
) -> (dInput: [Float], dWeight: [Float], dBias: [Float]) {
  var dInput = [Float](repeating: 0, count: B * H * W * Cin)
  var dWeight = [Float](repeating: 0, count: K * K * Cin * Cout)
  var dBias = [Float](repeating: 0, count: Cout)
  let pad = K / 2
  for co in 0..<Cout {
    var sum: Float = 0
    for n in 0..<(B * H * W) { sum += dOut[n * Cout + co] }
    dBias[co] = sum
  }
  for ky in 0..<K {
    for kx in 0..<K {
      for ci in 0..<Cin {
        for co in 0..<Cout {
          var sum: Float = 0
          for b in 0..<B {
            for y in 0..<H {
              for x in 0..<W {
                let iy = y + ky - pad
                let ix = x + kx - pad
                if iy < 0 || iy >= H || ix < 0 || ix >= W { continue }
                sum = sum.addingProduct(
                  input[((b * H + iy) * W + ix) * Cin + ci],
                  dOut[((b * H + y) * W + x) * Cout + co])
              }
            }
          }
          dWeight[((ky * K + kx) * Cin + ci) * Cout + co] = sum
        }
      }
    }
  }
  for b in 0..<B {
    for iy in 0..<H {
      for ix in 0..<W {
        for ci in 0..<Cin {
          var sum: Float = 0
          for ky in 0..<K {
            for kx in 0..<K {
              let y = iy - ky + pad
              let x = ix - kx + pad
              if y < 0 || y >= H || x < 0 || x >= W { continue }
              for co in 0..<Cout {
                sum = sum.addingProduct(
                  weight[((ky * K + kx) * Cin + ci) * Cout + co],
                  dOut[((b * H + y) * W + x) * Cout + co])
              }
            }
          }
          dInput[((b * H + iy) * W + ix) * Cin + ci] = sum
        }
      }
    }
  }
  return (dInput, dWeight, dBias)
}
