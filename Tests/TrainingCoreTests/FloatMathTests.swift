// Tests that the portable exp and log agree with the C library to within one ulp.

import Glibc
import Testing

@testable import TrainingCore

private func ulpDistance(_ a: Float, _ b: Float) -> Int {
  if a == b { return 0 }
  return abs(Int(a.bitPattern) - Int(b.bitPattern))
}

@Test func expMatchesLibm() {
  var x: Float = -103
  while x < 88.5 {
    #expect(ulpDistance(portableExp(x), expf(x)) <= 1, "x = \(x)")
    x += 0.0137
  }
  #expect(portableExp(0) == 1)
  #expect(portableExp(-200) == 0)
  #expect(portableExp(100) == .infinity)
  #expect(portableExp(.nan).isNaN)
}

@Test func logMatchesLibm() {
  var x: Float = 1e-8
  while x < 1e6 {
    #expect(ulpDistance(portableLog(x), logf(x)) <= 1, "x = \(x)")
    x *= 1.0093
  }
  #expect(portableLog(1) == 0)
  #expect(portableLog(0) == -.infinity)
  #expect(portableLog(-1).isNaN)
  #expect(portableLog(.nan).isNaN)
}

/// Inputs for the lane versions: a sweep of each function's range, both ends, zeros of both
/// signs, subnormals, infinities and NaN.
private func laneTestInputs() -> [Float] {
  var values: [Float] = [
    0, -0, 1, -1, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
    .leastNormalMagnitude, Float.leastNormalMagnitude / 3, .greatestFiniteMagnitude, -104,
    -104.000_01, 89, 89.000_01, 88.72, -103.97, 1e-7, 1 - 1e-7, 1.414_213_5, 1.414_213_7,
  ]
  var x: Float = -110
  while x < 95 {
    values.append(x)
    x += 0.0731
  }
  var y: Float = 1e-30
  while y < 1e30 {
    values.append(y)
    y *= 1.37
  }
  while values.count % 8 != 0 { values.append(0.5) }
  return values
}

/// Runs `check` in the training mode (subnormals flushed) and in the default mode.
private func inBothFloatingPointModes(_ check: () -> Void) {
  check()
  withSubnormalsFlushed { check() }
}

@Test func everyLaneGivesTheBitsOfItsValueAlone() {
  let values = laneTestInputs()
  inBothFloatingPointModes {
    for start in stride(from: 0, to: values.count, by: 8) {
      let x = SIMD8<Float>(values[start..<(start + 8)])
      let e = portableExp(x)
      let l = portableLog(x)
      for lane in 0..<8 {
        let scalarExp = portableExp(x[lane])
        let scalarLog = portableLog(x[lane])
        #expect(
          e[lane].bitPattern == scalarExp.bitPattern || (e[lane].isNaN && scalarExp.isNaN),
          "exp(\(x[lane])): \(e[lane]) vs \(scalarExp)")
        #expect(
          l[lane].bitPattern == scalarLog.bitPattern || (l[lane].isNaN && scalarLog.isNaN),
          "log(\(x[lane])): \(l[lane]) vs \(scalarLog)")
      }
    }
  }
}
