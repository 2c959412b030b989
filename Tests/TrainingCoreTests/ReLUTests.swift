// Tests for ReLU forward and backward, including NaN propagation.

import Testing

@testable import TrainingCore

@Test func reluForwardAndBackward() {
  let input: [Float] = [-2, -0.5, 0, 0.5, 3, .nan]
  var out = [Float](repeating: 0, count: input.count)
  out.withUnsafeMutableBufferPointer { reluForward(out: $0.start, input: input, count: 6) }
  #expect(Array(out[0..<5]) == [0, 0, 0, 0.5, 3])
  #expect(out[5].isNaN)
  // dInput is written whole, as 0 + the gradient (whatever it held): a passed −0 becomes +0, as
  // adding it to a cleared buffer makes it.
  var dInput: [Float] = [1, 1, 1, 1, 1, 1, .nan]
  dInput.withUnsafeMutableBufferPointer {
    reluBackward(
      dInput: $0.start, dOut: [10, 10, 10, 10, 10, 10, -0], input: input + [1], count: 7)
  }
  #expect(dInput == [0, 0, 0, 10, 10, 0, 0])
  #expect(dInput.allSatisfy { $0.sign == .plus })
}

@Test func reluBackwardInEveryVariantMatchesTheScalarRule() {
  // 37 values: two blocks of sixteen, one of four and a scalar tail; signed zeros and NaN in both.
  let input = (0..<37).map { i -> Float in
    [Float(-1), 0, -0, 2, .nan, 0.25][i % 6] * Float(i % 5 + 1)
  }
  let dOut = (0..<37).map { i -> Float in [Float(3), -0, .nan, -1.5, 0][i % 5] }
  let expected = zip(input, dOut).map { x, d in 0 + (x > 0 ? d : 0) }
  for kernels in KernelSet.available {
    var dInput = [Float](repeating: .nan, count: 37)
    dInput.withUnsafeMutableBufferPointer {
      reluBackward(kernels, dInput: $0.start, dOut: dOut, input: input, count: 37)
    }
    #expect(dInput.map(\.bitPattern) == expected.map(\.bitPattern), "\(kernels)")
  }
}
