// Rectified linear unit, elementwise. NaN passes through so divergence is seen downstream.

/// out = max(0, input) over `count` values (NaN stays NaN).
package func reluForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int)
{
  for i in 0..<count {
    let v = input[i]
    out[i] = v < 0 ? 0 : v
  }
}

/// dInput += dOut where input > 0 (the gradient at 0 is 0, as in TensorFlow).
func reluBackward(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  count: Int
) {
  // Four at a time with a lane mask: a data-dependent branch here mispredicts half the time.
  var i = 0
  while i + 4 <= count {
    let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD4<Float>.self)
    let d = UnsafeRawPointer(dOut + i).loadUnaligned(as: SIMD4<Float>.self)
    let di = UnsafeRawPointer(dInput + i).loadUnaligned(as: SIMD4<Float>.self)
    let passed = SIMD4<Float>().replacing(with: d, where: x .> 0)
    UnsafeMutableRawPointer(dInput + i).storeBytes(of: di + passed, as: SIMD4<Float>.self)
    i += 4
  }
  while i < count {
    dInput[i] += input[i] > 0 ? dOut[i] : 0
    i += 1
  }
}
