// Tests for batch normalisation: normalised statistics and gradients against central differences.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

import Testing

@testable import TrainingCore

private let N = 12
private let C = 3

private func forward(_ input: [Float], _ gamma: [Float], _ beta: [Float]) -> (
  out: [Float], xhat: [Float], rstd: [Float]
) {
  var out = [Float](repeating: 0, count: N * C)
  var xhat = [Float](repeating: 0, count: N * C)
  var mean = [Float](repeating: 0, count: C)
  var variance = [Float](repeating: 0, count: C)
  var rstd = [Float](repeating: 0, count: C)
  out.withUnsafeMutableBufferPointer { o in
    xhat.withUnsafeMutableBufferPointer { x in
      mean.withUnsafeMutableBufferPointer { m in
        rstd.withUnsafeMutableBufferPointer { r in
          batchNormForward(
            out: o.start, xhat: x.start, mean: m.start, variance: &variance, rstd: r.start,
            input: input, gamma: gamma, beta: beta, N: N, C: C)
        }
      }
    }
  }
  return (out, xhat, rstd)
}

@Test func batchNormNormalisesEachChannel() {
  let input = randomArray(N * C, seed: 5, lo: 2, hi: 9)
  let out = forward(input, [1, 1, 1], [0, 0, 0]).out
  for c in 0..<C {
    let values = (0..<N).map { Double(out[$0 * C + c]) }
    let mean = values.reduce(0, +) / Double(N)
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(N)
    #expect(abs(mean) < 1e-6)
    // Variance is v/(v+ε) with ε = 1e-3 added inside the square root.
    #expect(variance > 0.99 && variance < 1.0)
  }
}

@Test func batchNormGradientsMatchFiniteDifferences() {
  let input = randomArray(N * C, seed: 21, lo: -2, hi: 2)
  let gamma = randomArray(C, seed: 22, lo: 0.5, hi: 1.5)
  let beta = randomArray(C, seed: 23)
  let r = randomArray(N * C, seed: 24)
  let f = forward(input, gamma, beta)
  var dInput = [Float](repeating: 0, count: N * C)
  var dGamma = [Float](repeating: 0, count: C)
  var dBeta = [Float](repeating: 0, count: C)
  dInput.withUnsafeMutableBufferPointer { di in
    dGamma.withUnsafeMutableBufferPointer { dg in
      dBeta.withUnsafeMutableBufferPointer { db in
        batchNormBackward(
          dInput: di.start, dGamma: dg.start, dBeta: db.start, dOut: r,
          xhat: f.xhat, rstd: f.rstd, gamma: gamma, N: N, C: C)
      }
    }
  }
  // Smooth function, values O(1): with h = 1e-2 truncation is O(h²)·f''' ≈ 1e-4 and Float
  // rounding of Σ r·out (~1e-6) contributes ~1e-4; a wrong term would be off by O(0.1).
  let h: Float = 1e-2
  let nInput = numericalGradient(input, h: h) { weightedSum(forward($0, gamma, beta).out, r) }
  let nGamma = numericalGradient(gamma, h: h) { weightedSum(forward(input, $0, beta).out, r) }
  let nBeta = numericalGradient(beta, h: h) { weightedSum(forward(input, gamma, $0).out, r) }
  #expect(worstMismatch(dInput, nInput, atol: 2e-3, rtol: 1e-2) <= 1)
  #expect(worstMismatch(dGamma, nGamma, atol: 2e-3, rtol: 1e-2) <= 1)
  #expect(worstMismatch(dBeta, nBeta, atol: 2e-3, rtol: 1e-2) <= 1)
}

@Test(arguments: [3, 4, 8])
func batchNormFastKernelsEqualReference(_ channels: Int) {
  let n = 10
  let input = randomArray(n * channels, seed: 61, lo: -3, hi: 3)
  let gamma = randomArray(channels, seed: 62, lo: 0.5, hi: 1.5)
  let beta = randomArray(channels, seed: 63)
  let dOut = randomArray(n * channels, seed: 64)
  var out = [Float](repeating: 0, count: n * channels)
  var xhat = [Float](repeating: 0, count: n * channels)
  var mean = [Float](repeating: 0, count: channels)
  var variance = [Float](repeating: 0, count: channels)
  var rstd = [Float](repeating: 0, count: channels)
  batchNormForward(
    out: &out, xhat: &xhat, mean: &mean, variance: &variance, rstd: &rstd, input: input,
    gamma: gamma, beta: beta, N: n, C: channels)
  for c in 0..<channels {
    #expect(rstd[c] == 1 / (variance[c] + batchNormEpsilon).squareRoot())
  }
  let reference = batchNormForwardReference(
    input: input, gamma: gamma, beta: beta, N: n, C: channels)
  #expect(out == reference.out && xhat == reference.xhat)
  #expect(mean == reference.mean && rstd == reference.rstd)
  // The mean's sums made elsewhere (by the conv), and the ReLU made as out is stored.
  let sums = (0..<channels).map { c in
    (0..<n).reduce(0.0) { $0 + Double(input[$1 * channels + c]) }
  }
  var out2 = [Float](repeating: .nan, count: n * channels)
  var xhat2 = [Float](repeating: .nan, count: n * channels)
  var mean2 = [Float](repeating: .nan, count: channels)
  var variance2 = [Float](repeating: .nan, count: channels)
  var rstd2 = [Float](repeating: .nan, count: channels)
  var relu = [Float](repeating: .nan, count: n * channels)
  batchNormForward(
    out: &out2, xhat: &xhat2, mean: &mean2, variance: &variance2, rstd: &rstd2, input: input,
    gamma: gamma, beta: beta, N: n, C: channels, sums: sums, relu: &relu)
  #expect(out2 == out && xhat2 == xhat && mean2 == mean && variance2 == variance && rstd2 == rstd)
  var reluPass = [Float](repeating: .nan, count: n * channels)
  reluForward(out: &reluPass, input: out, count: n * channels)
  #expect(relu.map(\.bitPattern) == reluPass.map(\.bitPattern))
  var dInput = [Float](repeating: .nan, count: n * channels)
  var dGamma = [Float](repeating: 0, count: channels)
  var dBeta = [Float](repeating: 0, count: channels)
  batchNormBackward(
    dInput: &dInput, dGamma: &dGamma, dBeta: &dBeta, dOut: dOut, xhat: xhat, rstd: rstd,
    gamma: gamma, N: n, C: channels)
  let dReference = batchNormBackwardReference(
    dOut: dOut, xhat: xhat, rstd: rstd, gamma: gamma, N: n, C: channels)
  #expect(dInput == dReference.dInput)
  #expect(dGamma == dReference.dGamma && dBeta == dReference.dBeta)
}

/// The splat batch norm makes in its variance's pass: the bits of `splatFour`, and batch norm's
/// own outputs unchanged; four channels carry it, others make it first.
@Test(arguments: [(4, 1), (4, 4), (8, 4), (4, 3)])
func batchNormForwardMakesTheSplatBesideItsVariance(_ channels: Int, _ perPosition: Int) {
  let n = 13
  let input = randomArray(n * channels, seed: 73, lo: -2, hi: 3)
  let gamma = randomArray(channels, seed: 74, lo: 0.5, hi: 1.5)
  let beta = randomArray(channels, seed: 75)
  let other = randomArray(n * perPosition, seed: 76)
  func run(splat: Bool) -> [[Float]] {
    var out = [Float](repeating: .nan, count: n * channels)
    var xhat = out
    var relu = out
    var mean = [Float](repeating: .nan, count: channels)
    var variance = mean
    var rstd = mean
    var copy = [Float](repeating: .nan, count: 4 * n * perPosition)
    copy.withUnsafeMutableBufferPointer { c in
      other.withUnsafeBufferPointer { x in
        batchNormForward(
          out: &out, xhat: &xhat, mean: &mean, variance: &variance, rstd: &rstd, input: input,
          gamma: gamma, beta: beta, N: n, C: channels, relu: &relu,
          splat: splat ? (c.start, x.baseAddress!, perPosition) : nil)
      }
    }
    return [out, xhat, relu, mean, variance, rstd, copy]
  }
  let with = run(splat: true)
  let without = run(splat: false)
  for k in 0..<6 { #expect(with[k].map(\.bitPattern) == without[k].map(\.bitPattern)) }
  var splat = [Float](repeating: .nan, count: 4 * n * perPosition)
  splatFour(out: &splat, x: other, count: n * perPosition)
  #expect(with[6] == splat)
}

@Test func batchNormInferenceUsesTheGivenStatistics() {
  let n = 6
  let input = randomArray(n * C, seed: 71, lo: -3, hi: 3)
  let gamma: [Float] = [0.5, 1, 2]
  let beta: [Float] = [0.25, 0, -1]
  let mean: [Float] = [0, 0.5, -1]
  let variance: [Float] = [1, 4, 0.25]
  var out = [Float](repeating: .nan, count: n * C)
  batchNormInference(
    out: &out, input: input, mean: mean, variance: variance, gamma: gamma, beta: beta, N: n, C: C)
  for i in 0..<(n * C) {
    let c = i % C
    let scale = 1 / (variance[c] + batchNormEpsilon).squareRoot() * gamma[c]
    #expect(out[i] == (input[i] - mean[c]) * scale + beta[c])
  }
}

@Test func batchNormInferenceLanesAndReluGiveTheExpressionsBits() {
  // Four channels: positions four at a time in lanes, then one at a time; the ReLU beside.
  let (n, c4) = (11, 4)
  let input = randomArray(n * c4, seed: 72, lo: -3, hi: 3)
  let gamma: [Float] = [0.5, 1, 2, -1.5]
  let beta: [Float] = [0.25, 0, -1, 0.5]
  let mean: [Float] = [0, 0.5, -1, 0.125]
  let variance: [Float] = [1, 4, 0.25, 2]
  for kernels in KernelSet.available {
    var out = [Float](repeating: .nan, count: n * c4)
    var relu = [Float](repeating: .nan, count: n * c4)
    batchNormInference(
      kernels, out: &out, input: input, mean: mean, variance: variance, gamma: gamma,
      beta: beta, N: n, C: c4, relu: &relu)
    for i in 0..<(n * c4) {
      let c = i % c4
      let scale = 1 / (variance[c] + batchNormEpsilon).squareRoot() * gamma[c]
      let y = (input[i] - mean[c]) * scale + beta[c]
      #expect(out[i].bitPattern == y.bitPattern, "\(kernels) \(i)")
      #expect(relu[i].bitPattern == (y < 0 ? 0 : y).bitPattern, "\(kernels) \(i)")
    }
  }
}

@Test func movingAveragesFollowTensorFlow() {
  // TF: moving -= (moving − batch)·(1 − momentum), batch variance Bessel-corrected N/(N−1).
  var movingMean: [Float] = [0, 1]
  var movingVariance: [Float] = [1, 2]
  let batchMean: [Float] = [2, -1]
  let batchVariance: [Float] = [3, 0.5]
  batchNormUpdateMovingAverages(
    movingMean: &movingMean, movingVariance: &movingVariance, batchMean: batchMean,
    batchVariance: batchVariance, momentum: 0.99, N: 4, C: 2)
  let decay = Float(1 - 0.99)
  let correction = Float(4) / Float(3)
  #expect(movingMean == [0 - (0 - 2) * decay, 1 - (1 - -1) * decay])
  #expect(
    movingVariance == [
      1 - (1 - 3 * correction) * decay, 2 - (2 - 0.5 * correction) * decay,
    ])
  #expect(abs(movingMean[0] - 0.02) < 1e-6 && abs(movingVariance[0] - 1.03) < 1e-6)
}

@Test(arguments: [4, 8])
func fusedReluBatchNormBackwardGivesTheTwoPassBits(_ channels: Int) {
  let N = 37
  let C = channels
  var dRelu = randomArray(N * C, seed: 61)
  var normed = randomArray(N * C, seed: 62)
  normed[0] = 0  // the gradient at 0 is 0
  normed[1] = -0
  // A −0 gradient where the ReLU passes it, into channel 0's sums while they are still +0
  // (positions 0 and 1 pass nothing there): the two-pass form sums 0 + −0 = +0, the fused sums
  // take −0 itself (the same bits, as a sum from +0 is never −0).
  normed[C] = -1
  normed[2 * C] = 1
  dRelu[2 * C] = -0
  let xhat = randomArray(N * C, seed: 63)
  let rstd = randomArray(C, seed: 64, lo: 0.5, hi: 2)
  let gamma = randomArray(C, seed: 65)
  // Two passes into cleared buffers, as the trainer ran them.
  var dNormed = [Float](repeating: 0, count: N * C)
  var twoPass = [Float](repeating: 0, count: N * C + 2 * C)
  dNormed.withUnsafeMutableBufferPointer {
    reluBackward(dInput: $0.start, dOut: dRelu, input: normed, count: N * C)
  }
  twoPass.withUnsafeMutableBufferPointer {
    batchNormBackward(
      dInput: $0.start, dGamma: $0.start + N * C, dBeta: $0.start + N * C + C, dOut: dNormed,
      xhat: xhat, rstd: rstd, gamma: gamma, N: N, C: C)
  }
  var fused = [Float](repeating: 0, count: N * C + 2 * C)
  fused.withUnsafeMutableBufferPointer {
    batchNormReluBackward(
      dInput: $0.start, dGamma: $0.start + N * C, dBeta: $0.start + N * C + C, dRelu: dRelu,
      normed: normed, xhat: xhat, rstd: rstd, gamma: gamma, N: N, C: C)
  }
  #expect(fused.map(\.bitPattern) == twoPass.map(\.bitPattern))
}

@Test(arguments: [4, 8])
func pairedReluBatchNormBackwardGivesTwoCallsBits(_ channels: Int) {
  // 37 positions: nine blocks of four in wide lanes and one on its own (C = 4).
  let N = 37
  let C = channels
  let dReluA = randomArray(N * C, seed: 66)
  let dReluB = randomArray(N * C, seed: 67)
  let normed = randomArray(N * C, seed: 68)
  let xhat = randomArray(N * C, seed: 69)
  let rstd = randomArray(C, seed: 70, lo: 0.5, hi: 2)
  let gamma = randomArray(C, seed: 71)
  /// dInput, dGamma, dBeta of one loss, laid end to end.
  func single(_ dRelu: [Float]) -> [Float] {
    var out = [Float](repeating: .nan, count: N * C + 2 * C)
    for c in 0..<(2 * C) { out[N * C + c] = Float(c) }  // accumulated into
    out.withUnsafeMutableBufferPointer {
      batchNormReluBackward(
        dInput: $0.start, dGamma: $0.start + N * C, dBeta: $0.start + N * C + C, dRelu: dRelu,
        normed: normed, xhat: xhat, rstd: rstd, gamma: gamma, N: N, C: C)
    }
    return out
  }
  var a = [Float](repeating: .nan, count: N * C + 2 * C)
  var b = a
  for c in 0..<(2 * C) { (a[N * C + c], b[N * C + c]) = (Float(c), Float(c)) }
  a.withUnsafeMutableBufferPointer { pa in
    b.withUnsafeMutableBufferPointer { pb in
      dReluB.withUnsafeBufferPointer { d in
        batchNormReluBackward(
          dInput: pa.start, dGamma: pa.start + N * C, dBeta: pa.start + N * C + C,
          dRelu: dReluA, normed: normed, xhat: xhat, rstd: rstd, gamma: gamma, N: N, C: C,
          second: (pb.start, pb.start + N * C, pb.start + N * C + C, d.start))
      }
    }
  }
  #expect(a.map(\.bitPattern) == single(dReluA).map(\.bitPattern))
  #expect(b.map(\.bitPattern) == single(dReluB).map(\.bitPattern))
}
