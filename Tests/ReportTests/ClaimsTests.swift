// Tests for Claims.swift: each claim on hand-made sweeps whose verdict is known, in and beyond the
// post's setting, with controls, robustness to thresholds and the spread over seeds.

import Artifacts
import Testing
import TrainingCore

@testable import Report

/// The defaults, with the plateau window fitted to the fixtures' 101-step runs.
private let options: ClaimOptions = {
  var o = ClaimOptions()
  o.plateauSteps = 50
  return o
}()

private func results(_ cells: [ReportCell], _ o: ClaimOptions = options) -> [ClaimResult] {
  evaluateClaims(ReportInput(sweepName: "t", cells: cells), options: o)
}

private func verdict(_ number: Int, _ cells: [ReportCell]) -> ClaimVerdict {
  results(cells)[number - 1].verdict
}

/// A cell whose accuracy is flat at `accuracy` over the second half of the run.
private func flat(_ c: TrainingConfig, _ accuracy: Double, status: CellStatus = .ok) -> ReportCell {
  cell(c, accuracy: accuracy, status: status, flatFrom: 0.4)
}

// Claim 1: SGD never converges.

private func sgdSweep(best: Double, seed: UInt64 = 1, climbing: Bool = false) -> [ReportCell] {
  [
    flat(config(theta: 0.95, optimizer: .sgd, seed: seed), 0.95),
    climbing
      ? cell(config(theta: 0.5, batchNorm: true, optimizer: .sgd, seed: seed), accuracy: best)
      : flat(config(theta: 0.5, batchNorm: true, optimizer: .sgd, seed: seed), best),
    flat(config(theta: 0.5, optimizer: .adam, seed: seed), 0.995),
  ]
}

@Test func sgdClaimSupportedWhenNoSGDCellIsNearPerfect() {
  // 0.953 is far above the 0.5 baseline, yet not near-perfect: it did not converge.
  let r = results(sgdSweep(best: 0.953))[0]
  #expect(r.verdict == .supported)
  #expect(r.evidence.contains { $0.hasPrefix("Control: 1 of 1 Adam cells converged") })
}

@Test func sgdClaimNotSupportedWhenOneIsNearPerfectAndFlat() {
  let r = results(sgdSweep(best: 0.99))[0]
  #expect(r.verdict == .notSupported)
  #expect(r.evidence.contains { $0.hasPrefix("Converged: ") })
}

@Test func aCellStillClimbingHasNotConverged() {
  // Ends at 0.99 but gains 0.49 over the run: still improving, so not converged.
  let sweep = sgdSweep(best: 0.99, climbing: true)
  #expect(verdict(1, sweep) == .supported)
  #expect(
    results(sweep)[0].beyond.contains { $0.contains("Still improving") && $0.contains("1 of 2") })
}

@Test func sgdClaimNeedsBothBatchNormSettings() {
  let cells = [flat(config(theta: 0.95, optimizer: .sgd), 0.95)]
  #expect(verdict(1, cells) == .notEnoughData)
  #expect(verdict(1, []) == .notEnoughData)
}

@Test func divergedCellNeverCountsAsConverged() {
  let cells = [
    flat(config(theta: 0.5, optimizer: .sgd), 0.99, status: .diverged),
    flat(config(theta: 0.5, batchNorm: true, optimizer: .sgd), 0.5),
  ]
  #expect(verdict(1, cells) == .supported)
}

@Test func plateauSlopeIsAccuracyPerThousandSteps() {
  let climbing = cell(config(iterations: 101), accuracy: 0.9)
  // 0.5 → 0.9 over 100 steps: 4 per 1,000 steps.
  #expect(abs((plateauSlope(climbing, steps: 1000) ?? 0) - 4) < 1e-9)
  #expect(abs(plateauSlope(flat(config(iterations: 101), 0.9), steps: 50) ?? 1) < 1e-9)
  #expect(plateauSlope(cell(config(), accuracy: nil), steps: 50) == nil)
}

// Claim 2: Adam without batch norm converges except DICEFG at θ = 0.05.

private func adamNoBN(dicefg: Double, others: Double, batchNorm: Bool = false) -> [ReportCell] {
  var cells: [ReportCell] = []
  for theta in [0.05, 0.5, 0.95] {
    for loss in Loss.allCases {
      let exception = loss == .dicefg && theta == 0.05
      cells.append(
        flat(config(loss: loss, theta: theta, batchNorm: batchNorm), exception ? dicefg : others))
    }
  }
  return cells
}

@Test func adamClaimSupportedWithTheExactException() {
  #expect(verdict(2, adamNoBN(dicefg: 0.95, others: 0.995)) == .supported)
}

@Test func adamClaimNotSupportedWhenTheExceptionConverges() {
  #expect(verdict(2, adamNoBN(dicefg: 0.99, others: 0.995)) == .notSupported)
}

@Test func adamClaimNotSupportedWhenAnotherModelFallsShortOfTheBar() {
  #expect(verdict(2, adamNoBN(dicefg: 0.95, others: 0.97)) == .notSupported)
}

@Test func adamClaimLooksOnlyAtTheBatchNormOffCells() {
  // With batch norm the exception converges too: that is beyond the post, not against it.
  let cells =
    adamNoBN(dicefg: 0.95, others: 0.995) + adamNoBN(dicefg: 0.99, others: 0.995, batchNorm: true)
  let r = results(cells)[1]
  #expect(r.verdict == .supported)
  #expect(r.cellIDs.count == 15)
  #expect(
    r.beyond == [
      "Adam, batch norm on: 14 of 14 other cells converged; DICEFG θ = 0.05: 1 of 1 (final accuracy 0.990)."
    ])
}

@Test func adamClaimNeedsTheExceptionCell() {
  let cells = adamNoBN(dicefg: 0.95, others: 0.995).filter {
    !($0.config.loss == .dicefg && $0.config.theta == 0.05)
  }
  #expect(verdict(2, cells) == .notEnoughData)
}

// Claim 3: batch norm with Adam gives good accuracy everywhere.

@Test func batchNormClaimSupportedWhenEveryCellIsGood() {
  let cells = [
    cell(config(theta: 0.05, batchNorm: true), accuracy: 0.99),
    cell(config(loss: .dicefg, theta: 0.5, batchNorm: true), accuracy: 0.80),
  ]
  #expect(verdict(3, cells) == .supported)
}

@Test func batchNormClaimNotSupportedWhenOneIsOnlyAtBaseline() {
  // 0.97 at θ = 0.05 is above the 0.95 baseline but short of halfway to perfect (0.975).
  let cells = [
    cell(config(theta: 0.05, batchNorm: true), accuracy: 0.97),
    cell(config(theta: 0.5, batchNorm: true), accuracy: 0.99),
  ]
  #expect(verdict(3, cells) == .notSupported)
}

@Test func batchNormClaimNeedsTwoClassBalances() {
  let cells = [cell(config(theta: 0.5, batchNorm: true), accuracy: 0.99)]
  #expect(verdict(3, cells) == .notEnoughData)
}

// Claim 4: DICEFG at θ = 0.5 makes CCE and its gradient rise early, against controls.

private func riseSweep(dicefgBump: Double, controlBump: Double, batchNorm: Bool = false)
  -> [ReportCell]
{
  Loss.allCases.map { loss in
    cell(
      config(loss: loss, theta: 0.5, batchNorm: batchNorm),
      cceBump: loss == .dicefg ? dicefgBump : controlBump)
  }
}

@Test func riseClaimSupportedWhenOnlyDICEFGRises() {
  let r = results(riseSweep(dicefgBump: 30, controlBump: 1))[3]
  #expect(r.verdict == .supported)
  #expect(r.cellIDs.count == 5)
  #expect(r.evidence[0].hasPrefix("DICEFG: 1 of 1 cells rise"))
  #expect(r.evidence[1].hasPrefix("Controls: 0 of 4 cells rise"))
}

@Test func riseClaimNotSupportedWhenTheControlsRiseToo() {
  #expect(verdict(4, riseSweep(dicefgBump: 30, controlBump: 30)) == .notSupported)
}

@Test func riseClaimNotSupportedWithoutARise() {
  #expect(verdict(4, riseSweep(dicefgBump: 1, controlBump: 1)) == .notSupported)
}

@Test func riseWithBatchNormIsBeyondThePost() {
  // The post's setting is batch norm off; a rise only with batch norm does not count for it.
  let cells =
    riseSweep(dicefgBump: 1, controlBump: 1)
    + riseSweep(dicefgBump: 30, controlBump: 1, batchNorm: true)
  let r = results(cells)[3]
  #expect(r.verdict == .notSupported)
  #expect(
    r.beyond.contains {
      $0.hasPrefix("DICEFG θ = 0.5, Adam, batch norm on: holds, 1 of 1 cells rise")
    })
}

@Test func riseClaimNeedsCCETrackedAndControls() {
  let untracked = [cell(config(loss: .dicefg, theta: 0.5), cceBump: 30, tracked: [.dicefg])]
  #expect(verdict(4, untracked) == .notEnoughData)
  let noControls = [cell(config(loss: .dicefg, theta: 0.5), cceBump: 30)]
  #expect(verdict(4, noControls) == .notEnoughData)
}

// Claim 5: gradient norms smaller at θ = 0.05 than at θ = 0.95, in pairs.

private func pairs(
  scale: Double, optimizer: OptimizerKind = .adam, losses: [Loss] = [.cce, .dice]
) -> [ReportCell] {
  losses.flatMap { loss in
    [
      cell(config(loss: loss, theta: 0.05, optimizer: optimizer), gradScale: scale),
      cell(config(loss: loss, theta: 0.95, optimizer: optimizer), gradScale: 1),
    ]
  }
}

@Test(arguments: [(0.2, ClaimVerdict.supported), (5.0, .notSupported)])
func gradientScaleClaimComparesMatchedPairs(scale: Double, expected: ClaimVerdict) {
  let r = results(pairs(scale: scale))[4]
  #expect(r.verdict == expected)
  #expect(r.cellIDs.count == 4)
}

@Test func gradientScaleReversedWithSGDIsReportedBeyondThePost() {
  let r = results(pairs(scale: 0.2) + pairs(scale: 5, optimizer: .sgd, losses: [.dicefg]))[4]
  #expect(r.verdict == .supported)
  #expect(r.cellIDs.count == 4)
  #expect(r.beyond.count == 1)
  #expect(
    r.beyond[0].hasPrefix("SGD, batch norm off: reversed, 0 of 1 pairs agree; reversed for DICEFG"))
}

@Test func gradientScaleCountsEveryTrackedNorm() {
  let r = results(pairs(scale: 0.2))[4]
  #expect(
    r.evidence.contains("Over every tracked gradient norm of the same pairs: 10 of 10 agree."))
}

@Test func gradientScaleClaimNeedsMatchedPairs() {
  let cells = [
    cell(config(loss: .cce, theta: 0.05), gradScale: 0.1),
    cell(config(loss: .dice, theta: 0.95)),
  ]
  #expect(verdict(5, cells) == .notEnoughData)
}

// Robustness and seeds.

@Test func robustnessShowsWhereTheVerdictFlips() throws {
  let r = results(sgdSweep(best: 0.965))[0]
  #expect(r.verdict == .supported)
  let bar = try #require(r.robustness.first { $0.name == "converged-accuracy" })
  #expect(bar.current == 0.98)
  #expect(bar.points.map(\.value) == [0.95, 0.96, 0.97, 0.98, 0.99, 0.995])
  #expect(
    bar.points.map(\.verdict) == [.notSupported, .notSupported]
      + Array(repeating: .supported, count: 4))
  #expect(!bar.isStable)
  #expect(robustnessLine(bar).hasPrefix("0.95 no · 0.96 no · 0.97 yes · 0.98* yes"))
  #expect(r.robustness.map(\.name) == ["converged-accuracy", "plateau-slope"])
}

@Test func robustnessAddsTheValueInUse() throws {
  var o = options
  o.convergedAccuracy = 0.985
  let r = results(sgdSweep(best: 0.9), o)[0]
  let bar = try #require(r.robustness.first)
  #expect(bar.points.map(\.value).contains(0.985))
  #expect(bar.points.map(\.value) == bar.points.map(\.value).sorted())
  // Only the lowest bar lets the θ = 0.95 SGD cell (0.95, flat) count as converged.
  #expect(bar.points.map(\.verdict) == [.notSupported] + Array(repeating: .supported, count: 6))
}

@Test func everyThresholdBelongsToAClaimAndIncludesItsDefault() {
  let defaults = ClaimOptions()
  for entry in claimThresholds {
    #expect(!entry.claims.isEmpty)
    #expect(
      entry.threshold.values.contains(entry.threshold.value(defaults)), "\(entry.threshold.name)")
    var o = defaults
    entry.threshold.set(&o, entry.threshold.values[0])
    #expect(entry.threshold.value(o) == entry.threshold.values[0])
  }
}

@Test func seedSpreadCountsSeedsThatAgree() {
  let cells = sgdSweep(best: 0.99, seed: 1) + sgdSweep(best: 0.9, seed: 2)
  let r = results(cells)[0]
  #expect(r.verdict == .notSupported)
  #expect(r.seedVerdicts.map(\.seed) == [1, 2])
  #expect(r.seedVerdicts.map(\.verdict) == [.notSupported, .supported])
  #expect(r.seedSummary.hasPrefix("1 of 2 seeds alone give the same verdict"))
}

@Test func claimsTableListsEveryClaimWithItsVerdict() {
  let empty = results([])
  let text = claimsTable(empty)
  #expect(empty.map(\.number) == [1, 2, 3, 4, 5])
  for r in empty {
    #expect(text.contains("Claim \(r.number): \(r.statement)"))
    #expect(r.verdict == .notEnoughData)
  }
  #expect(text.contains("not enough data"))
  let full = claimsTable(results(sgdSweep(best: 0.965)))
  #expect(full.contains("robustness (verdict as one threshold varies, * = value used):"))
  #expect(full.contains("--converged-accuracy  0.95 no"))
  #expect(full.contains("beyond the post:"))
}

@Test func cellSummaryTruncatesLongLists() {
  let ids = (0..<10).map { fakeID(String($0)) }.sorted()
  let r = ClaimResult(
    number: 1, statement: "s", rule: "r", cellIDs: ids, verdict: .supported, evidence: [])
  #expect(r.cellSummary.hasPrefix("10 cells: \(ids[0].prefix(12)), "))
  #expect(r.cellSummary.hasSuffix("(+4 more)"))
}
