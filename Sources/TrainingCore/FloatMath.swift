// exp and log for Float computed in Double with fixed polynomials (no libm, no fused multiply-add),
// so every machine and every build gives the same bits.

/// e^x, rounded once from a Double evaluation accurate to ~1e-14 relative: one lane of the lane
/// version below, so the one-at-a-time paths and the lanes give the same bits by construction.
@inline(__always)
func portableExp(_ x: Float) -> Float { portableExp(SIMD8(repeating: x))[0] }

/// The natural logarithm, rounded once from a Double evaluation accurate to ~1e-15 relative: one
/// lane of the lane version below.
@inline(__always)
func portableLog(_ x: Float) -> Float { portableLog(SIMD8(repeating: x))[0] }

// MARK: - Over lanes

/// x's lanes in Double, exactly, and back in Float, each rounded to nearest: written lane by
/// lane, which compiles to one conversion instruction. The generic initialisers
/// (`SIMD8<Double>(x)`) are sometimes left as calls, with 128-bit code around them: a build
/// once ran exp three times slower that way.
@inline(__always)
func widened(_ x: SIMD8<Float>) -> SIMD8<Double> {
  SIMD8(
    Double(x[0]), Double(x[1]), Double(x[2]), Double(x[3]), Double(x[4]), Double(x[5]),
    Double(x[6]), Double(x[7]))
}

@inline(__always)
func narrowed(_ x: SIMD8<Double>) -> SIMD8<Float> {
  SIMD8(
    Float(x[0]), Float(x[1]), Float(x[2]), Float(x[3]), Float(x[4]), Float(x[5]), Float(x[6]),
    Float(x[7]))
}

/// 2^k for integral k in Double's normal range, built from its bits.
@inline(__always)
private func powerOfTwo(_ k: SIMD8<Double>) -> SIMD8<Double> {
  // k + 1.5·2^52 holds k in its low bits (exact for |k| < 2^51).
  let magic = SIMD8<Double>(repeating: 6_755_399_441_055_744)
  let integer = unsafeBitCast(k + magic, to: SIMD8<UInt64>.self) &- 0x4338_0000_0000_0000
  return unsafeBitCast((integer &+ 1023) &<< 52, to: SIMD8<Double>.self)
}

/// e^x of every lane: x = k·ln2 + r with |r| <= ln2/2, exp(r) by its Taylor series to r^11
/// (Horner, separate multiplies and adds), times 2^k; 0 below −104, ∞ above 89, exp(±0) = 1.
@inline(__always)
func portableExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
  // Out-of-range lanes compute on 0 and are replaced below.
  let inRange = (x .>= -104) .& (x .<= 89)
  let d = widened(SIMD8<Float>().replacing(with: x, where: inRange))
  let k = (d * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
  let r = d - k * 0.693_147_180_559_945_3
  var p = SIMD8<Double>(repeating: 2.505_210_838_544_171_9e-8)  // 1/11!
  p = p * r + 2.755_731_922_398_589_1e-7  // 1/10!
  p = p * r + 2.755_731_922_398_589_1e-6  // 1/9!
  p = p * r + 2.480_158_730_158_730_2e-5  // 1/8!
  p = p * r + 1.984_126_984_126_984_1e-4  // 1/7!
  p = p * r + 1.388_888_888_888_888_9e-3  // 1/6!
  p = p * r + 8.333_333_333_333_333_2e-3  // 1/5!
  p = p * r + 4.166_666_666_666_666_4e-2  // 1/4!
  p = p * r + 0.166_666_666_666_666_66  // 1/3!
  p = p * r + 0.5
  p = p * r + 1
  p = p * r + 1
  var e = narrowed(p * powerOfTwo(k))
  e.replace(with: 0, where: x .< -104)
  e.replace(with: .infinity, where: x .> 89)
  e.replace(with: x, where: x .!= x)  // NaN stays NaN
  e.replace(with: 1, where: x .== 0)
  return e
}

/// log x of every lane: x = 2^e·m with m in [√2/2, √2), log m = 2·atanh(f) = 2·(f + f³/3 + …
/// + f¹⁹/19), f = (m−1)/(m+1), |f| <= 0.1716; −∞ at ±0, NaN below 0 or at NaN, ∞ at ∞.
@inline(__always)
func portableLog(_ x: SIMD8<Float>) -> SIMD8<Float> {
  // Lanes outside (0, ∞) compute on 1 and are replaced below.
  let normal = (x .> 0) .& (x .< .infinity)
  let d = widened(SIMD8<Float>(repeating: 1).replacing(with: x, where: normal))
  let bits = unsafeBitCast(d, to: SIMD8<UInt64>.self)
  // d.exponent as a Double: the biased exponent field E is exact as 2^52 + E − 2^52.
  let field = (bits &>> 52) & 0x7ff
  var e =
    unsafeBitCast(field | 0x4330_0000_0000_0000, to: SIMD8<Double>.self)
    - (4_503_599_627_370_496 + 1023)
  // d.significand, in [1, 2).
  var m = unsafeBitCast(
    (bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000, to: SIMD8<Double>.self)
  let high = m .> 1.414_213_562_373_095_1
  m.replace(with: m * 0.5, where: high)
  e.replace(with: e + 1, where: high)
  let f = (m - 1) / (m + 1)
  let f2 = f * f
  var s = SIMD8<Double>(repeating: 1.0 / 19)
  s = s * f2 + 1.0 / 17
  s = s * f2 + 1.0 / 15
  s = s * f2 + 1.0 / 13
  s = s * f2 + 1.0 / 11
  s = s * f2 + 1.0 / 9
  s = s * f2 + 1.0 / 7
  s = s * f2 + 1.0 / 5
  s = s * f2 + 1.0 / 3
  s = s * f2 + 1
  var l = narrowed(e * 0.693_147_180_559_945_3 + 2 * f * s)
  l.replace(with: .infinity, where: x .== .infinity)
  l.replace(with: -.infinity, where: x .== 0)
  l.replace(with: .nan, where: (x .< 0) .| (x .!= x))
  return l
}
