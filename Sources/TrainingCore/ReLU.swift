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
package func reluBackward(
  dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  count: Int
) {
  // Sixteen, then four, at a time with a lane mask: a data-dependent branch here mispredicts
  // half the time.
  var i = 0
  while i + 16 <= count {
    store16(reluGradient(load16(dOut + i), load16(input + i)), dInput + i)
    i += 16
  }
  while i + 4 <= count {
    store4(reluGradient(load4(dOut + i), load4(input + i)), dInput + i)
    i += 4
  }
  while i < count {
    dInput[i] = 0 + (input[i] > 0 ? dOut[i] : 0)
    i += 1
  }
}

/// v with its negative lanes 0: `reluForward` of one vector, for the kernels that make the ReLU
/// as they store its input.
@inline(__always)
func reluOf(_ v: SIMD16<Float>) -> SIMD16<Float> { v.replacing(with: 0, where: v .< 0) }

@inline(__always)
func reluOf(_ v: SIMD4<Float>) -> SIMD4<Float> { v.replacing(with: 0, where: v .< 0) }

/// 0 + (g where input > 0, else 0): `reluBackward` of one vector, for the kernels that make the
/// ReLU's gradient as they store the gradient above it. (Concrete types: the generic SIMD form
/// compiles lane by lane.)
@inline(__always)
func reluGradient(_ g: SIMD16<Float>, _ input: SIMD16<Float>) -> SIMD16<Float> {
  SIMD16<Float>() + SIMD16<Float>().replacing(with: g, where: input .> 0)
}

@inline(__always)
func reluGradient(_ g: SIMD4<Float>, _ input: SIMD4<Float>) -> SIMD4<Float> {
  SIMD4<Float>() + SIMD4<Float>().replacing(with: g, where: input .> 0)
}
