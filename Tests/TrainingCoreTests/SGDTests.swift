// Tests for one SGD step.

import Testing

@testable import TrainingCore

@Test func oneSGDStep() {
  var params: [Float] = [1, -2, 0.5]
  params.withUnsafeMutableBufferPointer {
    sgdUpdate(params: $0.start, grads: [0.5, -1, 0], count: 3, learningRate: 0.5)
  }
  #expect(params == [0.75, -1.5, 0.5])
}
