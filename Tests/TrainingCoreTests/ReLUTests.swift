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
