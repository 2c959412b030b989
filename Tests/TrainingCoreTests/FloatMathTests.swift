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
