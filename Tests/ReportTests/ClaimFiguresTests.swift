// Tests for ClaimFigures.swift: one well-formed, non-blank evidence figure per claim that draws
// the post's setting, its controls and the rule's thresholds.

import Foundation
import Testing
import TrainingCore

@testable import Report

/// Every loss at three class balances in the four settings, with a CCE rise under DICEFG.
private func gridInput(iterations: Int = 301) -> ReportInput {
  var cells: [ReportCell] = []
  for optimizer in [OptimizerKind.adam, .sgd] {
    for batchNorm in [false, true] {
      for theta in [0.05, 0.5, 0.95] {
        for loss in Loss.allCases {
          let c = config(
            loss: loss, theta: theta, batchNorm: batchNorm, optimizer: optimizer,
            iterations: iterations)
          cells.append(
            cell(
              c, accuracy: optimizer == .sgd ? 0.9 : 0.995,
              gradScale: theta == 0.05 ? 0.3 : 1, cceBump: loss == .dicefg ? 20 : 1,
              flatFrom: 0.5))
        }
      }
    }
  }
  return ReportInput(sweepName: "grid", cells: cells)
}

@Test func oneWellFormedFigurePerClaim() {
  let figures = claimFigures(gridInput(), options: ClaimOptions())
  #expect(figures.map(\.fileName) == (1...5).map { "claim-\($0).svg" })
  for (index, figure) in figures.enumerated() {
    #expect(xmlError(figure.svg) == nil, "\(figure.fileName)")
    #expect(figure.svg.contains("<title>Claim \(index + 1): "))
    #expect(!figure.svg.contains("nan") && !figure.svg.contains("inf"))
    #expect(!figure.svg.contains("no data"), "\(figure.fileName)")
  }
  #expect(figures[0].svg.contains("converged bar 0.98"))
  #expect(figures[0].svg.contains("SGD (the claim)") && figures[0].svg.contains("Adam (control)"))
  #expect(figures[3].svg.contains("rise ×8") && figures[3].svg.contains("rise ×1.25"))
  #expect(figures[3].svg.contains("DICEFG with batch norm (beyond the post)"))
  // Claim 5: one dot per pair, 5 losses × 4 settings.
  #expect(figures[4].svg.components(separatedBy: "<circle ").count - 1 == 20)
  #expect(figures[4].svg.contains("Adam, batch norm off (the post)"))
}

@Test func emptySweepStillGivesFiveFigures() {
  let figures = claimFigures(ReportInput(sweepName: "e", cells: []), options: ClaimOptions())
  #expect(figures.count == 5)
  for figure in figures {
    #expect(xmlError(figure.svg) == nil)
    #expect(figure.svg.contains("no data"))
  }
}

@Test func claimFiguresRenderToNonBlankPNGs() throws {
  guard let tool = executable(named: "rsvg-convert") else {
    Issue.record(
      "rsvg-convert not found: install it with `apt-get install -y librsvg2-bin` to check figures")
    return
  }
  for figure in claimFigures(gridInput(), options: ClaimOptions()) {
    let png = try renderPNG(figure.svg, tool: tool)
    let size = try #require(pngSize(png))
    #expect(size.width > 600 && size.height > 300, "\(figure.fileName)")
    #expect(png.count > 15_000, "\(figure.fileName): \(png.count) bytes")
  }
}
