// Tests for one Adam step against hand-computed values.

import Testing

@testable import TrainingCore

@Test func adamStepSizeIsBiasCorrected() {
  // t = 1: 1e-3·√(1 − 0.999)/(1 − 0.9) = 1e-3·√0.001/0.1.
  let expected = Float(1e-3 * 0.031_622_776_601_683_79 / 0.1)
  #expect(adamStepSize(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, t: 1) == expected)
  #expect(power(0.9, 3) == 0.9 * 0.9 * 0.9)
  #expect(power(2, 10) == 1024)
}

@Test func oneAdamStep() {
  var params: [Float] = [1, -2, 0]
  var m: [Float] = [0, 0, 0]
  var v: [Float] = [0, 0, 0]
  let grads: [Float] = [0.5, -0.25, 0]
  let stepSize = adamStepSize(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, t: 1)
  params.withUnsafeMutableBufferPointer { p in
    m.withUnsafeMutableBufferPointer { mm in
      v.withUnsafeMutableBufferPointer { vv in
        adamUpdate(
          params: p.start, m: mm.start, v: vv.start, grads: grads, count: 3,
          stepSize: stepSize, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
      }
    }
  }
  // m = 0.1·g, v = 0.001·g², so the first step moves each weight by ≈ lr·sign(g) = 1e-3.
  // In Float, 1 − β1 = 0.100000024 and 1 − β2 = 0.0009999871, as in TensorFlow's float32 math.
  #expect(m == [(1 - Float(0.9)) * 0.5, (1 - Float(0.9)) * -0.25, 0])
  #expect(v == [(1 - Float(0.999)) * 0.25, (1 - Float(0.999)) * 0.0625, 0])
  #expect(abs(m[0] - 0.05) < 1e-7 && abs(v[0] - 0.000_25) < 1e-8)
  #expect(abs(params[0] - 0.999) < 1e-6)
  #expect(abs(params[1] - -1.999) < 1e-6)
  #expect(params[2] == 0)
}
