// Tests for the channel softmax and its backward pass.

import Testing

@testable import TrainingCore

/// The softmax of (N,2) logits; with `kernels`, that variant with the trainer's scratch room.
private func softmax(_ logits: [Float], kernels: KernelSet? = nil) -> [Float] {
  var probs = [Float](repeating: 0, count: logits.count)
  var scratch = [Float](repeating: .nan, count: logits.count / 2)
  probs.withUnsafeMutableBufferPointer { p in
    guard let kernels else {
      softmaxForward(probs: p.start, logits: logits, N: logits.count / 2, C: 2)
      return
    }
    scratch.withUnsafeMutableBufferPointer {
      softmaxForward(
        kernels, probs: p.start, logits: logits, N: logits.count / 2, C: 2, scratch: $0.start)
    }
  }
  return probs
}

@Test func softmaxValues() {
  let p = softmax([0, 0, 1000, 0, 0, -1000, 2, 1])
  #expect(Array(p[0..<6]) == [0.5, 0.5, 1, 0, 1, 0])
  #expect(abs(p[6] - 0.731_058_6) < 1e-6 && abs(p[7] - 0.268_941_4) < 1e-6)
  #expect(softmax([.nan, 0]).allSatisfy { $0.isNaN })
  #expect(softmax([0, .nan]).allSatisfy { $0.isNaN })
}

@Test func softmaxGradientMatchesFiniteDifferences() {
  let logits = randomArray(10, seed: 31, lo: -3, hi: 3)
  let r = randomArray(10, seed: 32)
  let p = softmax(logits)
  var dLogits = [Float](repeating: 0, count: 10)
  dLogits.withUnsafeMutableBufferPointer {
    softmaxBackward(dLogits: $0.start, dProbs: r, probs: p, N: 5, C: 2)
  }
  // Smooth, values in (0,1); h = 1e-2 gives truncation ~1e-5 and rounding ~1e-5.
  let n = numericalGradient(logits, h: 1e-2) { weightedSum(softmax($0), r) }
  #expect(worstMismatch(dLogits, n, atol: 1e-4, rtol: 1e-2) <= 1)
}

@Test func softmaxLanesGiveThePositionBits() {
  // Positions eight at a time against the same positions one by one (the scalar path), in
  // every kernel variant: random logits with a tie and subnormals, and the same with NaN and
  // infinities in the second block of eight, which sends every position one at a time.
  var plain = randomArray(2 * 37, seed: 33, lo: -120, hi: 120)
  plain.replaceSubrange(0..<6, with: [0, 0, 1e-40, -1e-40, 3, 3])
  var special = plain
  special.replaceSubrange(18..<26, with: [.nan, 1, 1, .nan, .infinity, 0, -.infinity, 3])
  for logits in [plain, special] {
    for flushed in [false, true] {
      for kernels in [nil] + KernelSet.available {
        func run() -> [Float] { softmax(logits, kernels: kernels) }
        let lanes = flushed ? withSubnormalsFlushed(run) : run()
        for n in 0..<37 {
          let pair = Array(logits[(2 * n)..<(2 * n + 2)])
          let one = flushed ? withSubnormalsFlushed { softmax(pair) } : softmax(pair)
          #expect(Array(lanes[(2 * n)..<(2 * n + 2)]).bitsEqual(one), "position \(n)")
        }
      }
    }
  }
}

extension [Float] {
  /// Equal bit for bit, any NaN matching any NaN.
  fileprivate func bitsEqual(_ other: [Float]) -> Bool {
    count == other.count
      && zip(self, other).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
  }
}

@Test func softmaxBackwardLanesGiveThePositionBits() {
  // 21 positions: two blocks of eight in lanes and five one at a time, against one at a time.
  let probs = softmax(randomArray(42, seed: 34, lo: -5, hi: 5))
  let dProbs = randomArray(42, seed: 35)
  let start = randomArray(42, seed: 36)
  var lanes = start
  lanes.withUnsafeMutableBufferPointer {
    softmaxBackward(dLogits: $0.start, dProbs: dProbs, probs: probs, N: 21, C: 2)
  }
  for n in 0..<21 {
    var one = Array(start[(2 * n)..<(2 * n + 2)])
    one.withUnsafeMutableBufferPointer {
      softmaxBackward(
        dLogits: $0.start, dProbs: Array(dProbs[(2 * n)..<(2 * n + 2)]),
        probs: Array(probs[(2 * n)..<(2 * n + 2)]), N: 1, C: 2)
    }
    #expect(Array(lanes[(2 * n)..<(2 * n + 2)]).bitsEqual(one), "position \(n)")
  }
}
