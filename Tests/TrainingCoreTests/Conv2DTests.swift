// Tests for the K×K convolution: fast kernels against the plain references, and gradients
// against central differences.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

import Testing

@testable import TrainingCore

private struct ConvShape: Sendable, CustomStringConvertible {
  var B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
  var description: String { "B\(B) H\(H) W\(W) Cin\(Cin) Cout\(Cout) K\(K)" }
}

private let shapes = [
  ConvShape(B: 2, H: 5, W: 4, Cin: 1, Cout: 4, K: 3),
  ConvShape(B: 1, H: 4, W: 6, Cin: 4, Cout: 4, K: 3),
  ConvShape(B: 2, H: 3, W: 3, Cin: 3, Cout: 2, K: 1),
  ConvShape(B: 1, H: 7, W: 5, Cin: 3, Cout: 5, K: 3),
  ConvShape(B: 2, H: 4, W: 5, Cin: 8, Cout: 8, K: 3),
  ConvShape(B: 1, H: 3, W: 4, Cin: 4, Cout: 2, K: 1),
  ConvShape(B: 1, H: 3, W: 5, Cin: 4, Cout: 2, K: 1),  // four positions in lanes, then three
  ConvShape(B: 2, H: 3, W: 11, Cin: 4, Cout: 8, K: 3),  // 4-wide groups plus remainders
  ConvShape(B: 2, H: 3, W: 1, Cin: 1, Cout: 4, K: 3),  // a single column
  ConvShape(B: 1, H: 2, W: 2, Cin: 2, Cout: 8, K: 3),
  ConvShape(B: 2, H: 4, W: 12, Cin: 4, Cout: 4, K: 3),  // six-position groups, then four
  ConvShape(B: 1, H: 3, W: 9, Cin: 8, Cout: 2, K: 1),  // 1×1 kernel gradient, two input blocks
  ConvShape(B: 1, H: 3, W: 1, Cin: 4, Cout: 4, K: 3),  // a single column, blocked channels
  ConvShape(B: 1, H: 2, W: 5, Cin: 4, Cout: 3, K: 1),  // 1×1 with an odd last output channel
]

private func fastForward(_ s: ConvShape, _ input: [Float], _ weight: [Float], _ bias: [Float]?)
  -> [Float]
{
  var out = [Float](repeating: .nan, count: s.B * s.H * s.W * s.Cout)
  out.withUnsafeMutableBufferPointer { o in
    if let bias {
      bias.withUnsafeBufferPointer { b in
        conv2dForward(
          out: o.start, input: input, weight: weight, bias: b.baseAddress, B: s.B, H: s.H,
          W: s.W, Cin: s.Cin, Cout: s.Cout, K: s.K)
      }
    } else {
      conv2dForward(
        out: o.start, input: input, weight: weight, bias: nil, B: s.B, H: s.H, W: s.W,
        Cin: s.Cin, Cout: s.Cout, K: s.K)
    }
  }
  return out
}

private func fastBackward(_ s: ConvShape, _ dOut: [Float], _ input: [Float], _ weight: [Float])
  -> (dInput: [Float], dWeight: [Float], dBias: [Float])
{
  // NaN to start: the kernels write dInput whole (as 0 + each sum), never reading it.
  var dInput = [Float](repeating: .nan, count: input.count)
  var dWeight = [Float](repeating: 0, count: weight.count)
  var dBias = [Float](repeating: 0, count: s.Cout)
  var scratch = [Float](repeating: 0, count: weight.count + 144 * s.Cout)
  dInput.withUnsafeMutableBufferPointer { di in
    dWeight.withUnsafeMutableBufferPointer { dw in
      dBias.withUnsafeMutableBufferPointer { db in
        scratch.withUnsafeMutableBufferPointer { sc in
          conv2dBackward(
            dInput: di.baseAddress, dWeight: dw.start, dBias: db.baseAddress, dOut: dOut,
            input: input, weight: weight, scratch: sc.start, B: s.B, H: s.H, W: s.W,
            Cin: s.Cin, Cout: s.Cout, K: s.K)
        }
      }
    }
  }
  return (dInput, dWeight, dBias)
}

@Test(arguments: shapes)
private func convFastKernelsEqualReference(_ s: ConvShape) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 1)
  let weight = randomArray(s.K * s.K * s.Cin * s.Cout, seed: 2)
  let bias = randomArray(s.Cout, seed: 3)
  let dOut = randomArray(s.B * s.H * s.W * s.Cout, seed: 4)
  // Same summation order, so the results are bit-identical.
  for b in [bias, nil] {
    #expect(
      fastForward(s, input, weight, b)
        == conv2dForwardReference(
          input: input, weight: weight, bias: b, B: s.B, H: s.H, W: s.W, Cin: s.Cin,
          Cout: s.Cout, K: s.K))
  }
  let fast = fastBackward(s, dOut, input, weight)
  let reference = conv2dBackwardReference(
    dOut: dOut, input: input, weight: weight, B: s.B, H: s.H, W: s.W, Cin: s.Cin, Cout: s.Cout,
    K: s.K)
  #expect(fast.dInput == reference.dInput)
  #expect(fast.dWeight == reference.dWeight)
  #expect(fast.dBias == reference.dBias)
}

@Test(arguments: shapes)
private func convGradientsMatchFiniteDifferences(_ s: ConvShape) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 11)
  let weight = randomArray(s.K * s.K * s.Cin * s.Cout, seed: 12)
  let bias = randomArray(s.Cout, seed: 13)
  let r = randomArray(s.B * s.H * s.W * s.Cout, seed: 14)
  let analytic = fastBackward(s, r, input, weight)
  // The conv is linear, so central differences are exact up to Float rounding of the outputs
  // (~1e-7 relative, |out| < 10): with h = 1e-2 the error is below 1e-4.
  let h: Float = 1e-2
  let dInput = numericalGradient(input, h: h) { weightedSum(fastForward(s, $0, weight, bias), r) }
  let dWeight = numericalGradient(weight, h: h) { weightedSum(fastForward(s, input, $0, bias), r) }
  let dBias = numericalGradient(bias, h: h) { weightedSum(fastForward(s, input, weight, $0), r) }
  #expect(worstMismatch(analytic.dInput, dInput, atol: 1e-3, rtol: 1e-3) <= 1)
  #expect(worstMismatch(analytic.dWeight, dWeight, atol: 1e-3, rtol: 1e-3) <= 1)
  #expect(worstMismatch(analytic.dBias, dBias, atol: 1e-3, rtol: 1e-3) <= 1)
}

@Test(arguments: shapes)
private func convBackwardWithInputSplatEqualsReference(_ s: ConvShape) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 21)
  let weight = randomArray(s.K * s.K * s.Cin * s.Cout, seed: 22)
  let dOut = randomArray(s.B * s.H * s.W * s.Cout, seed: 23)
  var splat = [Float](repeating: .nan, count: 4 * input.count)
  splat.withUnsafeMutableBufferPointer { splatFour(out: $0.start, x: input, count: input.count) }
  #expect(splat.enumerated().allSatisfy { $0.element == input[$0.offset / 4] })
  var dInput = [Float](repeating: .nan, count: input.count)  // written whole
  var dWeight = [Float](repeating: 0, count: weight.count)
  var dBias = [Float](repeating: 0, count: s.Cout)
  var scratch = [Float](repeating: 0, count: weight.count + 144 * s.Cout)
  dInput.withUnsafeMutableBufferPointer { di in
    dWeight.withUnsafeMutableBufferPointer { dw in
      dBias.withUnsafeMutableBufferPointer { db in
        scratch.withUnsafeMutableBufferPointer { sc in
          conv2dBackward(
            dInput: di.baseAddress, dWeight: dw.start, dBias: db.baseAddress, dOut: dOut,
            input: input, inputSplat: splat, weight: weight, scratch: sc.start, B: s.B, H: s.H,
            W: s.W, Cin: s.Cin, Cout: s.Cout, K: s.K)
        }
      }
    }
  }
  let reference = conv2dBackwardReference(
    dOut: dOut, input: input, weight: weight, B: s.B, H: s.H, W: s.W, Cin: s.Cin, Cout: s.Cout,
    K: s.K)
  #expect(dInput == reference.dInput)
  #expect(dWeight == reference.dWeight)
  #expect(dBias == reference.dBias)
}

/// Shapes for the wide kernels (Cout = 4, Cin 1 or 4): whole rows of 16- and 4-position blocks
/// (W a multiple of 4, 4 being one block with both edges), widths the row kernels leave to the
/// other paths, one-row and two-row images, the real cells' 32 columns, and 48 and 64 (the
/// AVX-512 rows' 32 positions then 16, and two blocks of 32 with one edge each).
private let wideShapes =
  [2, 3, 4, 5, 6, 8, 9, 12, 13, 14, 16, 20, 28, 32, 48, 64].flatMap { W in
    [1, 4].map { ConvShape(B: 2, H: W >= 32 ? 4 : 3, W: W, Cin: $0, Cout: 4, K: 3) }
  } + [1, 2].flatMap { H in [8, 32].map { ConvShape(B: 2, H: H, W: $0, Cin: 4, Cout: 4, K: 3) } }

/// Every variant's wide kernels (the AVX-512 ones have their own 32-position rows and one-pass
/// kernel gradient) against the references.
@Test(arguments: wideShapes)
private func convWideKernelsEqualReference(_ s: ConvShape) {
  for kernels in KernelSet.available { convWideKernelsEqualReference(s, kernels) }
}

private func convWideKernelsEqualReference(_ s: ConvShape, _ kernels: KernelSet) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 31)
  let weight = randomArray(9 * s.Cin * s.Cout, seed: 32)
  let bias = randomArray(s.Cout, seed: 33)
  let dOut = randomArray(s.B * s.H * s.W * s.Cout, seed: 34)
  let N = s.B * s.H * s.W
  // NaN slack around the splats, as the trainer allocates them (`takeWithSlack`): the wide
  // kernels read (and must discard) values past either end of a row.
  var splat = [Float](repeating: .nan, count: 4 * input.count + 32)
  var planar = [Float](repeating: .nan, count: input.count + 32)
  var dOutPlanar = [Float](repeating: .nan, count: dOut.count + 32)
  var repeated = [Float](repeating: .nan, count: 144 * s.Cin)
  splat.withUnsafeMutableBufferPointer {
    splatFour(out: $0.start + 16, x: input, count: input.count)
  }
  planar.withUnsafeMutableBufferPointer {
    planarCopy(out: $0.start + 16, x: input, N: N, C: s.Cin)
  }
  dOutPlanar.withUnsafeMutableBufferPointer {
    planarCopy(out: $0.start + 16, x: dOut, N: N, C: s.Cout)
  }
  /// The wide forward pass with bias b, and the mean sums and ReLU if asked for.
  func forward(
    _ b: [Float]?, channelSums: UnsafeMutablePointer<Double>? = nil,
    reluOut: UnsafeMutablePointer<Float>? = nil
  ) -> [Float] {
    var out = [Float](repeating: .nan, count: N * s.Cout)
    out.withUnsafeMutableBufferPointer { o in
      b.withOptionalPointer { bp in
        planar.withUnsafeBufferPointer { pl in
          repeated.withUnsafeMutableBufferPointer { rw in
            conv2dForward(
              kernels, out: o.start, input: input, weight: weight, bias: bp,
              wide: (pl.start + 16, rw.start), B: s.B, H: s.H, W: s.W, Cin: s.Cin,
              Cout: s.Cout, K: 3, channelSums: channelSums, reluOut: reluOut)
          }
        }
      }
    }
    return out
  }
  for b in [bias, nil] {
    let out = forward(b)
    #expect(
      out
        == conv2dForwardReference(
          input: input, weight: weight, bias: b, B: s.B, H: s.H, W: s.W, Cin: s.Cin,
          Cout: s.Cout, K: 3))
    // Batch norm's mean sums and the ReLU, made as the rows store: each channel's serial sum
    // over positions, and `reluForward` of out.
    var sums = [Double](repeating: .nan, count: s.Cout)
    var relu = [Float](repeating: .nan, count: N * s.Cout)
    let summed = forward(b, channelSums: &sums, reluOut: &relu)
    #expect(summed == out, "\(kernels)")
    let plainSums = (0..<s.Cout).map { c in
      (0..<N).reduce(0.0) { $0 + Double(out[$1 * s.Cout + c]) }
    }
    #expect(sums == plainSums)
    var reluPass = [Float](repeating: .nan, count: N * s.Cout)
    reluForward(out: &reluPass, input: out, count: N * s.Cout)
    #expect(relu.map(\.bitPattern) == reluPass.map(\.bitPattern))
  }
  var dInput = [Float](repeating: .nan, count: input.count)  // written whole
  var dWeight = [Float](repeating: 0, count: weight.count)
  var dBias = [Float](repeating: 0, count: s.Cout)
  var scratch = [Float](repeating: 0, count: weight.count + 144 * s.Cout)
  dInput.withUnsafeMutableBufferPointer { di in
    dWeight.withUnsafeMutableBufferPointer { dw in
      dBias.withUnsafeMutableBufferPointer { db in
        scratch.withUnsafeMutableBufferPointer { sc in
          splat.withUnsafeBufferPointer { sp in
            dOutPlanar.withUnsafeBufferPointer { dp in
              conv2dBackward(
                kernels, dInput: di.baseAddress, dWeight: dw.start, dBias: db.baseAddress,
                dOut: dOut, input: input, inputSplat: sp.start + 16, dOutPlanar: dp.start + 16,
                weight: weight, scratch: sc.start, B: s.B, H: s.H, W: s.W, Cin: s.Cin,
                Cout: s.Cout, K: 3)
            }
          }
        }
      }
    }
  }
  let reference = conv2dBackwardReference(
    dOut: dOut, input: input, weight: weight, B: s.B, H: s.H, W: s.W, Cin: s.Cin, Cout: s.Cout,
    K: 3)
  #expect(dInput == reference.dInput, "\(kernels)")
  #expect(dWeight == reference.dWeight, "\(kernels)")
  #expect(dBias == reference.dBias, "\(kernels)")
}

extension Optional where Wrapped == [Float] {
  fileprivate func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let self else { return body(nil) }
    return self.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}

/// The 1×1 output conv (Cin 4, Cout 2) and the wide kernels' shapes, for the paired gradients.
private let pairedShapes =
  [
    ConvShape(B: 2, H: 3, W: 5, Cin: 4, Cout: 2, K: 1),
    ConvShape(B: 1, H: 2, W: 3, Cin: 3, Cout: 2, K: 1),
  ]
  + wideShapes

@Test(arguments: pairedShapes)
private func pairedBackwardGivesTwoCallsBits(_ s: ConvShape) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 35)
  let weight = randomArray(s.K * s.K * s.Cin * s.Cout, seed: 36)
  let dOuts = [
    randomArray(s.B * s.H * s.W * s.Cout, seed: 37),
    randomArray(s.B * s.H * s.W * s.Cout, seed: 38),
  ]
  let N = s.B * s.H * s.W
  var splat = [Float](repeating: .nan, count: 4 * input.count + 32)
  splat.withUnsafeMutableBufferPointer {
    splatFour(out: $0.start + 16, x: input, count: input.count)
  }
  let planars = dOuts.map { dOut in
    var planar = [Float](repeating: .nan, count: dOut.count + 32)
    planar.withUnsafeMutableBufferPointer {
      planarCopy(out: $0.start + 16, x: dOut, N: N, C: s.Cout)
    }
    return planar
  }
  /// Each loss's dInput, dWeight and dBias end to end; dWeight and dBias start non-zero.
  func fresh() -> [Float] {
    var g = [Float](repeating: .nan, count: input.count + weight.count + s.Cout)
    for i in input.count..<g.count { g[i] = Float(i % 7) / 8 }
    return g
  }
  var scratch = [Float](repeating: 0, count: weight.count + 144 * s.Cout)
  /// One call of conv2dBackward: the first loss into `a`, the second (if `b`) into `b`.
  func run(_ a: inout [Float], _ b: inout [Float]?, first: Int) {
    let count = input.count
    let Cout = s.Cout
    splat.withUnsafeBufferPointer { sp in
      planars[first].withUnsafeBufferPointer { pa in
        planars[1].withUnsafeBufferPointer { pb in
          scratch.withUnsafeMutableBufferPointer { sc in
            a.withUnsafeMutableBufferPointer { ga in
              func call(second: ConvGradients?) {
                conv2dBackward(
                  dInput: ga.start, dWeight: ga.start + count,
                  dBias: ga.start + count + weight.count,
                  dOut: dOuts[first], input: input, inputSplat: sp.start + 16,
                  dOutPlanar: pa.start + 16, weight: weight, scratch: sc.start, B: s.B,
                  H: s.H, W: s.W, Cin: s.Cin, Cout: Cout, K: s.K, second: second)
              }
              guard b != nil else { return call(second: nil) }
              b!.withUnsafeMutableBufferPointer { gb in
                dOuts[1].withUnsafeBufferPointer { d in
                  call(
                    second: (
                      gb.start, gb.start + count, gb.start + count + weight.count, d.start,
                      pb.start + 16
                    ))
                }
              }
            }
          }
        }
      }
    }
  }
  var pairedA = fresh()
  var pairedB: [Float]? = fresh()
  run(&pairedA, &pairedB, first: 0)
  var none: [Float]? = nil
  var singleA = fresh()
  run(&singleA, &none, first: 0)
  var singleB = fresh()
  run(&singleB, &none, first: 1)
  #expect(pairedA.map(\.bitPattern) == singleA.map(\.bitPattern))
  #expect(pairedB?.map(\.bitPattern) == singleB.map(\.bitPattern))
}

/// The wide and 1×1 shapes, and ones the SIMD4 and scalar paths take (W not a multiple of 4).
private let reluFusedShapes =
  pairedShapes + [ConvShape(B: 1, H: 3, W: 5, Cin: 4, Cout: 4, K: 3)]

@Test(arguments: reluFusedShapes)
private func inputGradientWithTheReluBelowGivesTheSeparatePassBits(_ s: ConvShape) {
  let input = randomArray(s.B * s.H * s.W * s.Cin, seed: 41)
  let weight = randomArray(s.K * s.K * s.Cin * s.Cout, seed: 42)
  let dOut = randomArray(s.B * s.H * s.W * s.Cout, seed: 43)
  // The ReLU's input: about half positive, with zeros.
  let below = randomArray(input.count, seed: 44).enumerated().map { $1 * Float($0 % 3 - 1) }
  let N = s.B * s.H * s.W
  var splat = [Float](repeating: .nan, count: 4 * input.count + 32)
  splat.withUnsafeMutableBufferPointer {
    splatFour(out: $0.start + 16, x: input, count: input.count)
  }
  var planar = [Float](repeating: .nan, count: dOut.count + 32)
  planar.withUnsafeMutableBufferPointer {
    planarCopy(out: $0.start + 16, x: dOut, N: N, C: s.Cout)
  }
  var scratch = [Float](repeating: 0, count: weight.count + 144 * s.Cout)
  for kernels in KernelSet.available {
    func dInput(relu: Bool) -> [Float] {
      var dInput = [Float](repeating: .nan, count: input.count)
      var dWeight = [Float](repeating: 0, count: weight.count)
      dInput.withUnsafeMutableBufferPointer { di in
        dWeight.withUnsafeMutableBufferPointer { dw in
          scratch.withUnsafeMutableBufferPointer { sc in
            splat.withUnsafeBufferPointer { sp in
              planar.withUnsafeBufferPointer { pl in
                below.withUnsafeBufferPointer { r in
                  conv2dBackward(
                    kernels, dInput: di.baseAddress, dWeight: dw.start, dBias: nil, dOut: dOut,
                    input: input, inputSplat: sp.start + 16,
                    dOutPlanar: s.K == 3 ? pl.start + 16 : nil, weight: weight,
                    scratch: sc.start, B: s.B, H: s.H, W: s.W, Cin: s.Cin, Cout: s.Cout, K: s.K,
                    dInputRelu: relu ? r.baseAddress : nil)
                }
              }
            }
          }
        }
      }
      return dInput
    }
    let plain = dInput(relu: false)
    var separate = [Float](repeating: .nan, count: input.count)
    separate.withUnsafeMutableBufferPointer {
      reluBackward(dInput: $0.start, dOut: plain, input: below, count: input.count)
    }
    #expect(
      dInput(relu: true).map(\.bitPattern) == separate.map(\.bitPattern), "\(kernels) \(s)")
  }
}

@Test(arguments: [1, 3, 4, 5])
func planarCopyIsChannelMajor(_ C: Int) {
  // 11 positions: two blocks of four in lanes (C = 4) and three one at a time.
  let N = 11
  let x = randomArray(N * C, seed: 39)
  for kernels in KernelSet.available {
    var out = [Float](repeating: .nan, count: N * C)
    out.withUnsafeMutableBufferPointer {
      planarCopy(kernels, out: $0.start, x: x, N: N, C: C)
    }
    let expected = (0..<C).flatMap { c in (0..<N).map { n in x[n * C + c] } }
    #expect(out == expected, "\(kernels)")
  }
}

@Test func splatFourRepeatsEveryValueFourTimes() {
  // Up to 9 values: blocks of four and the one-at-a-time rest.
  for count in 0...9 {
    let x = randomArray(count, seed: 41)
    for kernels in KernelSet.available {
      var out = [Float](repeating: .nan, count: 4 * count)
      out.withUnsafeMutableBufferPointer { splatFour(kernels, out: $0.start, x: x, count: count) }
      #expect(out == x.flatMap { [$0, $0, $0, $0] }, "\(kernels) \(count)")
    }
  }
}

@Test func repeatedWeightsAndTransposeMoveLanesAsDocumented() {
  let v = SIMD16<Float>((0..<16).map(Float.init))
  let t = transpose4x4(v)
  for j in 0..<4 {
    for c in 0..<4 { #expect(t[4 * j + c] == v[4 * c + j]) }
  }
  #expect(transpose4x4(t) == v)
  let w = randomArray(9 * 3 * 4, seed: 40)
  var ws = [Float](repeating: .nan, count: 144 * 3)
  ws.withUnsafeMutableBufferPointer { repeatWeightsFour(out: $0.start, w: w, K: 3) }
  for r in 0..<27 {
    for lane in 0..<16 { #expect(ws[16 * r + lane] == w[4 * r + lane / 4]) }
  }
}

@Test func arenaSlicesStartOnCacheLines() {
  let arena = FloatArena(capacity: 3 + 5 + 40, slices: 4)
  for count in [3, 5, 1] {
    #expect(Int(bitPattern: arena.take(count)) % 64 == 0)
  }
  #expect(Int(bitPattern: arena.takeWithSlack(8) - 16) % 64 == 0)
}

/// a·a − 1 for a = 1 + 2⁻¹², rounded once (2⁻¹¹ + 2⁻²⁴, what a fused multiply-add gives) and
/// rounded twice (a·a rounds to 1 + 2⁻¹¹ first, a tie to even).
private let fusedTerm: (a: Float, fused: Float, unfused: Float) = (
  1 + 0x1p-12, 0x1p-11 + 0x1p-24, 0x1p-11
)

/// Core version 3: each product term of a convolution's sum is one fused multiply-add, in the
/// fast kernels and in the references alike (forward: bias −1, then a·a; the other taps and
/// channels have zero weights, whose products leave the sum as it is).
@Test(arguments: [
  ConvShape(B: 1, H: 1, W: 1, Cin: 1, Cout: 4, K: 3),
  ConvShape(B: 1, H: 2, W: 4, Cin: 1, Cout: 4, K: 3),
  ConvShape(B: 1, H: 2, W: 3, Cin: 4, Cout: 2, K: 1),
  ConvShape(B: 1, H: 1, W: 5, Cin: 3, Cout: 5, K: 3),
])
private func convolutionTermsAreFusedMultiplyAdds(_ s: ConvShape) {
  let (a, fused, unfused) = fusedTerm
  #expect(fused != unfused && a * a - 1 == unfused)
  let input = [Float](repeating: a, count: s.B * s.H * s.W * s.Cin)
  var weight = [Float](repeating: 0, count: s.K * s.K * s.Cin * s.Cout)
  let center = (s.K / 2 * s.K + s.K / 2) * s.Cin * s.Cout
  for co in 0..<s.Cout { weight[center + co] = a }  // input channel 0 of the centre tap
  let bias = [Float](repeating: -1, count: s.Cout)
  let expected = [Float](repeating: fused, count: s.B * s.H * s.W * s.Cout)
  #expect(fastForward(s, input, weight, bias) == expected)
  #expect(
    conv2dForwardReference(
      input: input, weight: weight, bias: bias, B: s.B, H: s.H, W: s.W, Cin: s.Cin,
      Cout: s.Cout, K: s.K) == expected)
}

/// The gradients' sums too: the kernel gradient over positions (x·d = 1·−1, then a·a) and the
/// input gradient over output channels (w·d = 1·−1, then a·a).
@Test private func convolutionGradientTermsAreFusedMultiplyAdds() {
  let (a, fused, _) = fusedTerm
  let kernel = ConvShape(B: 1, H: 1, W: 2, Cin: 1, Cout: 1, K: 1)
  let (_, dWeight, _) = fastBackward(kernel, [-1, a], [1, a], [0])
  #expect(dWeight == [fused])
  let reference = conv2dBackwardReference(
    dOut: [-1, a], input: [1, a], weight: [0], B: 1, H: 1, W: 2, Cin: 1, Cout: 1, K: 1)
  #expect(reference.dWeight == [fused])
  let inputShape = ConvShape(B: 1, H: 1, W: 1, Cin: 1, Cout: 2, K: 1)
  let (dInput, _, _) = fastBackward(inputShape, [-1, a], [0], [1, a])
  #expect(dInput == [fused])
  let inputReference = conv2dBackwardReference(
    dOut: [-1, a], input: [0], weight: [1, a], B: 1, H: 1, W: 1, Cin: 1, Cout: 2, K: 1)
  #expect(inputReference.dInput == [fused])
}
