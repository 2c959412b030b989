// Rectified linear unit, elementwise. NaN passes through so divergence is seen downstream.

/// out = max(0, input) over `count` values (NaN stays NaN).
package func reluForward(out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int)
{
  for i in 0..<count {
    let v = input[i]
    out[i] = v < 0 ? 0 : v
  }
}

/// dInput = 0 + (dOut where input > 0, else 0) (the gradient at 0 is 0, as in TensorFlow): the
/// bits of adding it to a cleared buffer, so dInput needs no clearing.
func reluBackward(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  count: Int
) {
  // Four at a time with a lane mask: a data-dependent branch here mispredicts half the time.
  var i = 0
  while i + 4 <= count {
    let x = UnsafeRawPointer(input + i).loadUnaligned(as: SIMD4<Float>.self)
    let d = UnsafeRawPointer(dOut + i).loadUnaligned(as: SIMD4<Float>.self)
    let passed = SIMD4<Float>().replacing(with: d, where: x .> 0)
    UnsafeMutableRawPointer(dInput + i).storeBytes(
      of: SIMD4<Float>() + passed, as: SIMD4<Float>.self)
    i += 4
  }
  while i < count {
    dInput[i] = 0 + (input[i] > 0 ? dOut[i] : 0)
    i += 1
  }
}
