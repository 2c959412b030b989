// Tests for ReLU forward and backward, including NaN propagation.

import Testing

@testable import TrainingCore

@Test func reluForwardAndBackward() {
  let input: [Float] = [-2, -0.5, 0, 0.5, 3, .nan]
  var out = [Float](repeating: 0, count: input.count)
  out.withUnsafeMutableBufferPointer { reluForward(out: $0.start, input: input, count: 6) }
  #expect(Array(out[0..<5]) == [0, 0, 0, 0.5, 3])
  #expect(out[5].isNaN)
  var dInput: [Float] = [1, 1, 1, 1, 1, 1]
  dInput.withUnsafeMutableBufferPointer {
    reluBackward(dInput: $0.start, dOut: [10, 10, 10, 10, 10, 10], input: input, count: 6)
  }
  #expect(dInput == [1, 1, 1, 11, 11, 1])
}
