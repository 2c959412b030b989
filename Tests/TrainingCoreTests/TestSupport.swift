// Shared helpers for the core's tests: random arrays, finite differences, closeness checks.

@testable import TrainingCore

/// `count` uniform values in [lo, hi) from a fixed test stream.
func randomArray(_ count: Int, seed: UInt64, lo: Float = -1, hi: Float = 1) -> [Float] {
  var rng = Xoshiro256StarStar(seed: seed, stream: .training)
  return (0..<count).map { _ in lo + (hi - lo) * rng.nextFloat() }
}

/// Central-difference gradient of `f` at `x`, evaluated in Float with step `h`.
func numericalGradient(_ x: [Float], h: Float, _ f: ([Float]) -> Double) -> [Double] {
  var x = x
  var g = [Double](repeating: 0, count: x.count)
  for i in 0..<x.count {
    let saved = x[i]
    x[i] = saved + h
    let plus = f(x)
    x[i] = saved - h
    let minus = f(x)
    x[i] = saved
    g[i] = (plus - minus) / (Double(h) * 2)
  }
  return g
}

/// The largest |a − n| / (atol + rtol·|n|) over the pairs; ≤ 1 means close.
func worstMismatch(_ a: [Float], _ n: [Double], atol: Double, rtol: Double) -> Double {
  precondition(a.count == n.count)
  var worst = 0.0
  for i in 0..<a.count {
    worst = max(worst, abs(Double(a[i]) - n[i]) / (atol + rtol * abs(n[i])))
  }
  return worst
}

/// Σ r·out in Double: a scalar objective whose gradient with respect to `out` is `r`.
func weightedSum(_ out: [Float], _ r: [Float]) -> Double {
  var s = 0.0
  for i in 0..<out.count { s += Double(out[i]) * Double(r[i]) }
  return s
}

/// One-hot labels (N,2) for the given foreground flags.
func oneHot(_ foreground: [Bool]) -> [Float] {
  foreground.flatMap { $0 ? [0, 1] : [1, 0] }
}

/// A small config that runs fast in debug builds.
func smallConfig(
  loss: Loss = .cce, batchNorm: Bool = false, iterations: Int = 20, seed: UInt64 = 1
) -> TrainingConfig {
  var c = TrainingConfig()
  c.loss = loss
  c.batchNorm = batchNorm
  c.iterations = iterations
  c.imageSize = 6
  c.batchSize = 2
  c.evalImages = 3
  c.evalEvery = 5
  c.filters = 3
  c.seed = seed
  return c
}

extension UnsafeMutableBufferPointer {
  /// The first element's address; the tests never use empty buffers.
  var start: UnsafeMutablePointer<Element> {
    guard let baseAddress else { preconditionFailure("empty buffer") }
    return baseAddress
  }
}

extension UnsafeBufferPointer {
  /// The first element's address; the tests never use empty buffers.
  var start: UnsafePointer<Element> {
    guard let baseAddress else { preconditionFailure("empty buffer") }
    return baseAddress
  }
}
