// Tests for Claims.swift: each claim on hand-made sweeps whose verdict is known.

import Testing
import TrainingCore

@testable import Report

private let options = ClaimOptions()

private func verdict(_ number: Int, _ cells: [ReportCell]) -> ClaimVerdict {
  evaluateClaims(ReportInput(sweepName: "t", cells: cells), options: options)[number - 1].verdict
}

// Claim 1: SGD never converges.

@Test func sgdClaimSupportedWhenNoSGDCellBeatsTheBaseline() {
  let cells = [
    cell(config(theta: 0.95, optimizer: .sgd), accuracy: 0.95),
    cell(config(theta: 0.5, batchNorm: true, optimizer: .sgd), accuracy: 0.51),
    cell(config(theta: 0.5, optimizer: .adam), accuracy: 0.99),
  ]
  #expect(verdict(1, cells) == .supported)
}

@Test func sgdClaimNotSupportedWhenOneConverges() {
  let cells = [
    cell(config(theta: 0.95, optimizer: .sgd), accuracy: 0.95),
    cell(config(theta: 0.5, batchNorm: true, optimizer: .sgd), accuracy: 0.9),
  ]
  #expect(verdict(1, cells) == .notSupported)
}

@Test func sgdClaimNeedsBothBatchNormSettings() {
  let cells = [cell(config(theta: 0.95, optimizer: .sgd), accuracy: 0.95)]
  #expect(verdict(1, cells) == .notEnoughData)
  #expect(verdict(1, []) == .notEnoughData)
}

@Test func divergedCellNeverCountsAsConverged() {
  let cells = [
    cell(config(theta: 0.5, optimizer: .sgd), accuracy: 0.99, status: "diverged"),
    cell(config(theta: 0.5, batchNorm: true, optimizer: .sgd), accuracy: 0.5),
  ]
  #expect(verdict(1, cells) == .supported)
}

// Claim 2: Adam without batch norm converges except DICEFG at θ = 0.05.

private func adamNoBN(dicefgAccuracy: Double, othersAccuracy: Double) -> [ReportCell] {
  var cells: [ReportCell] = []
  for theta in [0.05, 0.5, 0.95] {
    for loss in Loss.allCases {
      let exception = loss == .dicefg && theta == 0.05
      let baseline = max(theta, 1 - theta)
      let a = exception ? dicefgAccuracy : min(1, baseline + othersAccuracy)
      cells.append(cell(config(loss: loss, theta: theta), accuracy: a))
    }
  }
  return cells
}

@Test func adamClaimSupportedWithTheExactException() {
  #expect(verdict(2, adamNoBN(dicefgAccuracy: 0.95, othersAccuracy: 0.03)) == .supported)
}

@Test func adamClaimNotSupportedWhenTheExceptionConverges() {
  #expect(verdict(2, adamNoBN(dicefgAccuracy: 0.99, othersAccuracy: 0.03)) == .notSupported)
}

@Test func adamClaimNotSupportedWhenAnotherModelFails() {
  #expect(verdict(2, adamNoBN(dicefgAccuracy: 0.95, othersAccuracy: 0.01)) == .notSupported)
}

@Test func adamClaimNeedsTheExceptionCell() {
  let cells = adamNoBN(dicefgAccuracy: 0.95, othersAccuracy: 0.03).filter {
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

// Claim 4: DICEFG at θ = 0.5 makes CCE and its gradient spike early.

@Test func spikeClaimSupportedWithAnEarlyBump() {
  let cells = [cell(config(loss: .dicefg, theta: 0.5), cceBump: 5)]
  #expect(verdict(4, cells) == .supported)
}

@Test func spikeClaimNotSupportedWithoutABump() {
  let cells = [cell(config(loss: .dicefg, theta: 0.5), cceBump: 1)]
  #expect(verdict(4, cells) == .notSupported)
}

@Test func spikeClaimNeedsCCETracked() {
  let cells = [cell(config(loss: .dicefg, theta: 0.5), cceBump: 5, tracked: [.dicefg])]
  #expect(verdict(4, cells) == .notEnoughData)
}

// Claim 5: gradient norms smaller at θ = 0.05 than at θ = 0.95.

@Test(arguments: [(0.2, ClaimVerdict.supported), (5.0, .notSupported)])
func gradientScaleClaimComparesMatchedPairs(scale: Double, expected: ClaimVerdict) {
  var cells: [ReportCell] = []
  for loss in [Loss.cce, .dice] {
    cells.append(cell(config(loss: loss, theta: 0.05), gradScale: scale))
    cells.append(cell(config(loss: loss, theta: 0.95), gradScale: 1))
  }
  #expect(verdict(5, cells) == expected)
  let result = evaluateClaims(ReportInput(sweepName: "t", cells: cells), options: options)[4]
  #expect(result.cellIDs.count == 4)
}

@Test func gradientScaleClaimNeedsMatchedPairs() {
  let cells = [
    cell(config(loss: .cce, theta: 0.05), gradScale: 0.1),
    cell(config(loss: .dice, theta: 0.95)),
  ]
  #expect(verdict(5, cells) == .notEnoughData)
}

@Test func claimsTableListsEveryClaimWithItsVerdict() {
  let results = evaluateClaims(ReportInput(sweepName: "t", cells: []), options: options)
  let text = claimsTable(results)
  #expect(results.map(\.number) == [1, 2, 3, 4, 5])
  for r in results {
    #expect(text.contains("Claim \(r.number): \(r.statement)"))
    #expect(r.verdict == .notEnoughData)
  }
  #expect(text.contains("not enough data"))
}

@Test func cellSummaryTruncatesLongLists() {
  let ids = (0..<10).map { fakeID(String($0)) }.sorted()
  let r = ClaimResult(
    number: 1, statement: "s", rule: "r", cellIDs: ids, verdict: .supported, evidence: [])
  #expect(r.cellSummary.hasPrefix("10 cells: \(ids[0].prefix(12)), "))
  #expect(r.cellSummary.hasSuffix("(+4 more)"))
}
