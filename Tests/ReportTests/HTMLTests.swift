// Tests for HTML.swift: the overview, claims and cell tables of index.html.

import Artifacts
import Testing
import TrainingCore

@testable import Report

private func page(_ cells: [ReportCell], name: String = "demo") -> String {
  let input = ReportInput(sweepName: name, cells: cells)
  return renderIndex(
    input, figures: figureSpecs(input), claims: evaluateClaims(input, options: ClaimOptions()),
    options: ReportOptions())
}

@Test func overviewAveragesSeedsNextToTheBaseline() {
  let cells = [
    cell(config(loss: .dice, theta: 0.05, seed: 1), accuracy: 0.97),
    cell(config(loss: .dice, theta: 0.05, seed: 2), accuracy: 0.99),
  ]
  let html = page(cells)
  #expect(html.contains("<td class=\"num\">0.950</td>"))  // baseline max(θ, 1−θ)
  #expect(html.contains(">0.9800 (2)</td>"))  // mean of two seeds
  #expect(html.contains("<th>DICE</th>"))
}

@Test func pageEscapesTheSweepNameAndLinksEveryFigure() {
  let cells = [cell(config(theta: 0.05)), cell(config(theta: 0.95))]
  let html = page(cells, name: "a<b>&c")
  #expect(html.contains("Sweep report: a&lt;b&gt;&amp;c"))
  #expect(!html.contains("a<b>"))
  #expect(html.contains("<img src=\"fig-fg05-adam-bn0-seed1.svg\""))
  #expect(html.contains("<img src=\"fig-fg95-adam-bn0-seed1.svg\""))
  #expect(!html.contains("<script"))
}

@Test func cellTableShowsStatusAndMissingCells() {
  let cells = [
    cell(config(theta: 0.05), status: .diverged),
    cell(config(loss: .dice, theta: 0.05), status: .missing),
  ]
  let html = page(cells)
  #expect(html.contains("<tr class=\"diverged\">"))
  #expect(html.contains("<tr class=\"missing\">"))
  #expect(html.contains("<td>missing</td>"))
  #expect(html.contains("Claims of the published study"))
}

@Test func cellTableShowsAttemptsWhenTheRunRecordedThem() {
  var retried = cell(config(theta: 0.05))
  retried.attempts = 3
  let once = cell(config(loss: .dice, theta: 0.05))
  #expect(!page([once]).contains("<th>attempts</th>"))
  let html = page([retried, once])
  #expect(html.contains("<th>attempts</th>"))
  #expect(html.contains("<td class=\"num\">3</td></tr>"))
  #expect(html.contains("<td class=\"num\">0</td></tr>"))
}

@Test func everyClaimHasItsRobustnessTableBeyondLinesAndFigure() {
  var cells: [ReportCell] = []
  for optimizer in [OptimizerKind.adam, .sgd] {
    for batchNorm in [false, true] {
      for theta in [0.05, 0.5, 0.95] {
        cells.append(
          cell(config(loss: .dicefg, theta: theta, batchNorm: batchNorm, optimizer: optimizer)))
      }
    }
  }
  let html = page(cells)
  for n in 1...5 {
    #expect(html.contains("<section class=\"claim\" id=\"claim-\(n)\">"))
    #expect(html.contains("<img src=\"claim-\(n).svg\""))
    #expect(html.contains("<a href=\"#claim-\(n)\">\(n)</a>"))
  }
  #expect(html.contains("<code>--converged-accuracy</code>"))
  #expect(html.contains("<code>--majority-fraction</code>"))
  #expect(html.contains("<b>Beyond the post.</b>"))
  #expect(html.contains("<b>0.98</b>"))
  #expect(html.contains("the same verdict (seed 1 "))
}

@Test(arguments: [(0.0, "#f6bebe"), (0.5, "#faf0b4"), (1.0, "#b9e6b4")])
func scaleColourRunsRedToGreen(t: Double, expected: String) {
  #expect(scaleColour(t) == expected)
}
