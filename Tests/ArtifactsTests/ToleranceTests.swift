// Tests of the diff tolerance: numpy.isclose semantics, per-metric bounds and flag parsing.

import Testing

@testable import Artifacts

@Suite struct ToleranceTests {
  @Test(arguments: [
    // (a, b, atol, rtol, close): |a − b| ≤ atol + rtol·|b|
    (1.0, 1.0, 0.0, 0.0, true),
    (1.0, 1.0 + 1e-12, 0.0, 0.0, false),
    (1.0, 1.1, 0.1 + 1e-12, 0.0, true),
    (1.0, 1.1, 0.05, 0.0, false),
    (1.0, 1.1, 0.0, 0.1, true),  // 0.1 ≤ 0.1·1.1
    (1.1, 1.0, 0.0, 0.1, false),  // 0.1 > 0.1·1.0: relative to B, as numpy has it
    (0.0, 0.002, 0.001, 0.5, true),  // 0.002 ≤ 0.001 + 0.001
  ])
  func isCloseFollowsNumpy(a: Double, b: Double, atol: Double, rtol: Double, close: Bool) {
    #expect(Tolerance(atol: atol, rtol: rtol).isClose(a, b, name: "final_accuracy") == close)
  }

  @Test func nullOnlyMatchesNull() {
    let loose = Tolerance(atol: 100)
    #expect(loose.isClose(nil, nil, name: "x"))
    #expect(!loose.isClose(nil, 1, name: "x"))
    #expect(!loose.isClose(1, nil, name: "x"))
    #expect(Tolerance.exact.isClose(.infinity, .infinity, name: "x"))
  }

  @Test func theMostSpecificBoundWins() throws {
    let t = try Tolerance.parse(
      atol: ["final_losses=0.5"], rtol: ["final_accuracy=0.01"],
      tolerance: ["0.001", "final_losses.cce=0.1"])
    #expect(t.atol == 0.001)
    #expect(t.bounds(for: "final_losses.cce") == (0.1, 0))
    #expect(t.bounds(for: "final_losses.dice") == (0.5, 0))
    #expect(t.bounds(for: "final_accuracy") == (0.001, 0.01))
    #expect(t.bounds(for: "best_accuracy") == (0.001, 0))
    #expect(!t.isExact)
  }

  @Test func aPlainToleranceIsTheGlobalAbsoluteBound() throws {
    let t = try Tolerance.parse(atol: [], rtol: ["1e-6"], tolerance: ["0.25"])
    #expect(t == Tolerance(atol: 0.25, rtol: 1e-6))
    #expect(try Tolerance.parse(atol: [], rtol: [], tolerance: []).isExact)
  }

  @Test(arguments: [
    (["abc"], [String](), "--tolerance abc: expected a number >= 0 or name=number"),
    (["-1"], [], "--tolerance -1: expected a number >= 0 or name=number"),
    (["final_accuracy=x"], [], "--tolerance final_accuracy=x: expected a number >= 0"),
    (
      [], ["final_acc=0.1"],
      "--rtol final_acc=0.1: unknown metric 'final_acc'; did you mean 'final_accuracy'?"
    ),
  ])
  func badValuesNameTheFlag(tolerance: [String], rtol: [String], message: String) {
    #expect {
      _ = try Tolerance.parse(atol: [], rtol: rtol, tolerance: tolerance)
    } throws: { error in
      "\(error)".hasPrefix(message)
    }
  }
}
