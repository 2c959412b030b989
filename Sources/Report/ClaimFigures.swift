// One evidence figure per claim (`claim-N.svg`): the curves or pairs a claim's rule reads, in the
// post's setting against its controls, with the rule's thresholds drawn in.

import Foundation
import TrainingCore

/// A line of a chart panel; `nil` points are gaps.
struct ChartLine {
  var colour: String
  var points: [(x: Double, y: Double)?]
  var width: Double = 1
  var opacity: Double = 1
  var dashed = false
}

/// A dot of a scatter panel.
struct ChartMarker {
  var x: Double
  var y: Double
  var colour: String
}

/// One panel: its axes, what is drawn in it and reference lines.
struct ChartPanel {
  var title: String
  var xLabel: String
  var yLabel: String
  var xLog = false
  var yLog = false
  var lines: [ChartLine] = []
  var markers: [ChartMarker] = []
  /// Horizontal reference lines: (y, colour, label).
  var levels: [(y: Double, colour: String, label: String)] = []
  /// A shaded x range, e.g. the window a rule reads: (from, to, label).
  var band: (from: Double, to: Double, label: String)?
  /// Lines y = factor·x across the panel (log-log panels), with a label.
  var diagonals: [(factor: Double, label: String)] = []
  /// Fixed axis ranges; computed from the data when nil.
  var xRange: (Double, Double)?
  var yRange: (Double, Double)?
}

/// A figure of panels side by side with a title, a subtitle and a legend.
struct Chart {
  var title: String
  var subtitle: String
  var panels: [ChartPanel]
  var legend: [(label: String, colour: String, dashed: Bool)]
}

private let chartPanelWidth = 300
private let chartPanelHeight = 200
private let chartLeft = 74
private let chartGap = 76
private let chartTop = 84

/// Maps a value on an axis to 0…1 of the panel.
private struct ChartAxis {
  var ticks: Ticks

  func fraction(_ v: Double) -> Double {
    if ticks.isLog {
      let low = log10(ticks.low)
      let high = log10(ticks.high)
      return (log10(max(v, ticks.low * 1e-3)) - low) / max(1e-12, high - low)
    }
    return (v - ticks.low) / max(1e-300, ticks.high - ticks.low)
  }
}

private func axisTicks(_ values: [Double], log: Bool, fixed: (Double, Double)?) -> Ticks {
  if let fixed {
    return log ? logTicks(low: fixed.0, high: fixed.1) : linearTicks(low: fixed.0, high: fixed.1)
  }
  let usable = values.filter { $0.isFinite && (!log || $0 > 0) }
  guard let low = usable.min(), let high = usable.max() else {
    return log ? logTicks(low: 0, high: 0) : linearTicks(low: 0, high: 1)
  }
  return log ? logTicks(low: low, high: high) : linearTicks(low: low, high: high)
}

/// Renders a chart as a standalone SVG document.
func renderChart(_ chart: Chart) -> String {
  let count = max(1, chart.panels.count)
  let width = max(720, chartLeft + count * chartPanelWidth + (count - 1) * chartGap + 30)
  let legendRows = legendLayout(
    chart.legend.map { ($0.label, $0.colour, $0.dashed) }, width: width, left: chartLeft)
  let legendY = chartTop + chartPanelHeight + 58
  let height = legendY + legendRows.count * 18 + 8
  var svg = svgDocumentStart(width: width, height: height, title: chart.title)
  svg += text(width / 2, 24, chart.title, size: 15, extra: " font-weight=\"bold\"")
  svg += text(width / 2, 44, chart.subtitle, size: 11)
  for (index, panel) in chart.panels.enumerated() {
    svg += renderPanel(panel, x0: chartLeft + index * (chartPanelWidth + chartGap), clip: index)
  }
  svg += legendElements(legendRows, y: legendY, anyBand: false)
  return svg + "</svg>\n"
}

private func renderPanel(_ panel: ChartPanel, x0: Int, clip: Int) -> String {
  let y0 = chartTop
  var xs: [Double] = panel.markers.map(\.x)
  var ys: [Double] = panel.markers.map(\.y) + panel.levels.map(\.y)
  for line in panel.lines {
    for case let p? in line.points {
      xs.append(p.x)
      ys.append(p.y)
    }
  }
  if let band = panel.band { xs += [band.from, band.to] }
  var xTicks = axisTicks(xs, log: panel.xLog, fixed: panel.xRange)
  var yTicks = axisTicks(ys, log: panel.yLog, fixed: panel.yRange)
  if !panel.xLog && xTicks.values.count > 6 {
    xTicks = linearTicks(low: xTicks.low, high: xTicks.high, target: 4)
  }
  if !panel.yLog && yTicks.values.count > 8 {
    yTicks = linearTicks(low: yTicks.low, high: yTicks.high, target: 4)
  }
  let xAxis = ChartAxis(ticks: xTicks)
  let yAxis = ChartAxis(ticks: yTicks)
  func px(_ x: Double) -> Int {
    Int(((Double(x0) + xAxis.fraction(x) * Double(chartPanelWidth)) * 10).rounded())
  }
  func py(_ y: Double) -> Int {
    let t = min(max(yAxis.fraction(y), -0.05), 1.05)
    return Int(((Double(y0 + chartPanelHeight) - t * Double(chartPanelHeight)) * 10).rounded())
  }
  var svg = text(x0 + chartPanelWidth / 2, y0 - 10, panel.title, size: 12)
  svg += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
  for v in yTicks.values { svg += "<path d=\"M\(x0) \(tenths(py(v)))h\(chartPanelWidth)\"/>\n" }
  for v in xTicks.values { svg += "<path d=\"M\(tenths(px(v))) \(y0)v\(chartPanelHeight)\"/>\n" }
  svg += "</g>\n"
  for v in yTicks.values {
    let y = py(v) / 10
    svg += "<path d=\"M\(x0 - 4) \(y)h4\" stroke=\"#555555\"/>\n"
    svg += tickLabel(yTicks, v, x: x0 - 7, y: y + 4, anchor: "end")
  }
  for v in xTicks.values {
    let x = px(v) / 10
    svg += "<path d=\"M\(x) \(y0 + chartPanelHeight)v4\" stroke=\"#555555\"/>\n"
    svg += tickLabel(xTicks, v, x: x, y: y0 + chartPanelHeight + 15, anchor: "middle")
  }
  svg += text(x0 + chartPanelWidth / 2, y0 + chartPanelHeight + 32, panel.xLabel, size: 11)
  let labelX = x0 - 50
  let labelY = y0 + chartPanelHeight / 2
  svg += text(
    labelX, labelY, panel.yLabel, size: 11,
    extra: " transform=\"rotate(-90 \(labelX) \(labelY))\"")
  svg +=
    "<clipPath id=\"p\(clip)\"><rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(chartPanelWidth)\" "
    + "height=\"\(chartPanelHeight)\"/></clipPath>\n"
  svg += "<g clip-path=\"url(#p\(clip))\">\n"
  if let band = panel.band {
    let a = px(band.from)
    let b = px(band.to)
    svg +=
      "<rect x=\"\(tenths(min(a, b)))\" y=\"\(y0)\" width=\"\(tenths(abs(b - a)))\" "
      + "height=\"\(chartPanelHeight)\" fill=\"#000000\" fill-opacity=\"0.06\"/>\n"
    svg += text(
      (a + b) / 20, y0 + 12, band.label, size: 9, extra: " fill=\"#666666\"")
  }
  for d in panel.diagonals {
    // Through the panel's corners of the x range, in data space.
    let a = (xTicks.low, xTicks.low * d.factor)
    let b = (xTicks.high, xTicks.high * d.factor)
    svg +=
      "<path d=\"\(pathData([(px(a.0), py(a.1)), (px(b.0), py(b.1))]))\" stroke=\"#555555\" "
      + "stroke-dasharray=\"4 3\" fill=\"none\"/>\n"
  }
  for line in panel.lines {
    var segments: [[(Int, Int)]] = [[]]
    for point in line.points {
      if let point {
        segments[segments.count - 1].append((px(point.x), py(point.y)))
      } else if !(segments.last?.isEmpty ?? true) {
        segments.append([])
      }
    }
    for segment in segments where !segment.isEmpty {
      svg +=
        "<path d=\"\(pathData(segment))\" fill=\"none\" stroke=\"\(line.colour)\" "
        + "stroke-width=\"\(compact(line.width))\" stroke-linejoin=\"round\""
        + (line.opacity < 1 ? " stroke-opacity=\"\(compact(line.opacity))\"" : "")
        + (line.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n"
    }
  }
  for m in panel.markers {
    svg +=
      "<circle cx=\"\(tenths(px(m.x)))\" cy=\"\(tenths(py(m.y)))\" r=\"3.5\" "
      + "fill=\"\(m.colour)\" fill-opacity=\"0.8\" stroke=\"#333333\" stroke-width=\"0.5\"/>\n"
  }
  for level in panel.levels {
    let y = py(level.y)
    svg +=
      "<path d=\"M\(x0) \(tenths(y))h\(chartPanelWidth)\" stroke=\"\(level.colour)\" "
      + "stroke-dasharray=\"6 3\" stroke-width=\"1.2\"/>\n"
    // Above the line, or below it when the line runs along the top of the panel.
    let labelY = y / 10 - 4 < y0 + 10 ? y / 10 + 11 : y / 10 - 4
    svg += text(
      x0 + chartPanelWidth - 4, labelY, level.label, size: 9, anchor: "end",
      extra: " fill=\"\(level.colour)\"")
  }
  svg += "</g>\n"
  let empty = panel.markers.isEmpty && panel.lines.allSatisfy { $0.points.allSatisfy { $0 == nil } }
  svg += panelFrame(
    x0: x0, y0: y0, width: chartPanelWidth, height: chartPanelHeight, empty: empty)
  return svg
}

// MARK: The five evidence figures

private let sgdColour = "#e6550d"
private let adamColour = "#3182bd"

/// The evidence figures of the claims, as (file name, SVG), `claim-1.svg` … `claim-5.svg`.
func claimFigures(_ input: ReportInput, options o: ClaimOptions) -> [(
  fileName: String, svg: String
)] {
  let data = ClaimData(input.cells)
  let charts = [
    claim1Chart(data, o), claim2Chart(data, o), claim3Chart(data, o), claim4Chart(data, o),
    claim5Chart(data, o),
  ]
  return charts.enumerated().map { ("claim-\($0.offset + 1).svg", renderChart($0.element)) }
}

private func accuracyLine(_ cell: ReportCell, colour: String, width: Double = 1) -> ChartLine {
  ChartLine(
    colour: colour,
    points: cell.series.accuracy.filter { $0.value.isFinite }.map { (Double($0.step), $0.value) },
    width: width, opacity: 0.7)
}

private func plateauBand(_ cells: [ReportCell], _ o: ClaimOptions) -> (Double, Double, String)? {
  guard let last = cells.compactMap({ $0.series.accuracy.last?.step }).max() else { return nil }
  return (Double(max(0, last - o.plateauSteps)), Double(last), "plateau window")
}

private func claim1Chart(_ data: ClaimData, _ o: ClaimOptions) -> Chart {
  let panels = [false, true].map { batchNorm -> ChartPanel in
    let cells = data.cells.filter { $0.config.batchNorm == batchNorm }
    // Adam first so the SGD curves the claim is about are drawn on top.
    let ordered =
      cells.filter { $0.config.optimizer == .adam } + cells.filter { $0.config.optimizer == .sgd }
    return ChartPanel(
      title: "batch norm \(batchNorm ? "on" : "off")", xLabel: "iteration",
      yLabel: "validation accuracy",
      lines: ordered.map {
        accuracyLine($0, colour: $0.config.optimizer == .sgd ? sgdColour : adamColour)
      },
      levels: [
        (o.convergedAccuracy, "#b00020", "converged bar \(compact(o.convergedAccuracy))")
      ], band: plateauBand(cells, o))
  }
  return Chart(
    title: "Claim 1: SGD against Adam, validation accuracy of every cell",
    subtitle:
      "A cell converged when it ends at or above the bar and its slope over the shaded "
      + "window is ≤ \(compact(o.plateauSlope)) per 1,000 steps.",
    panels: panels,
    legend: [("SGD (the claim)", sgdColour, false), ("Adam (control)", adamColour, false)])
}

private func lossLegend(_ cells: [ReportCell]) -> [(label: String, colour: String, dashed: Bool)] {
  Set(cells.map(\.config.loss)).sorted().map {
    ("trained with \(displayName($0))", colour($0), false)
  }
}

private func claim2Chart(_ data: ClaimData, _ o: ClaimOptions) -> Chart {
  let setting = data.cells(.adam, batchNorm: false)
  let panels = thetas(of: setting).map { t -> ChartPanel in
    let cells = setting.filter { sameTheta($0.config.theta, t) }
    return ChartPanel(
      title: "θ = \(compact(t)) (\(foregroundPercent(theta: t))% foreground)",
      xLabel: "iteration", yLabel: "validation accuracy",
      lines: cells.map {
        accuracyLine($0, colour: colour($0.config.loss), width: $0.config.loss == .dicefg ? 2 : 1)
      },
      levels: [
        (o.convergedAccuracy, "#b00020", "converged bar \(compact(o.convergedAccuracy))")
      ], band: plateauBand(cells, o))
  }
  return Chart(
    title: "Claim 2: Adam without batch norm, validation accuracy by class balance",
    subtitle:
      "Every cell should end above the bar except DICEFG (thick red) at θ = "
      + "\(compact(o.mostlyForegroundTheta)).",
    panels: panels.isEmpty ? [emptyPanel()] : panels, legend: lossLegend(setting))
}

private func claim3Chart(_ data: ClaimData, _ o: ClaimOptions) -> Chart {
  let setting = data.cells(.adam, batchNorm: true)
  let panels = thetas(of: setting).map { t -> ChartPanel in
    let cells = setting.filter { sameTheta($0.config.theta, t) }
    let b = majorityBaseline(theta: t)
    return ChartPanel(
      title: "θ = \(compact(t)) (\(foregroundPercent(theta: t))% foreground)",
      xLabel: "iteration", yLabel: "validation accuracy",
      lines: cells.map { accuracyLine($0, colour: colour($0.config.loss)) },
      levels: [
        (
          b + o.goodGapFraction * (1 - b), "#b00020",
          "good \(fixed(b + o.goodGapFraction * (1 - b), 3))"
        ),
        (b, "#777777", "baseline \(fixed(b, 2))"),
      ])
  }
  return Chart(
    title: "Claim 3: Adam with batch norm, validation accuracy by class balance",
    subtitle:
      "Good accuracy: at least \(compact(o.goodGapFraction)) of the way from the "
      + "majority-class baseline to 1.",
    panels: panels.isEmpty ? [emptyPanel()] : panels, legend: lossLegend(setting))
}

/// A series over steps 0…`steps` divided by its step-0 value, decimated to the panel width.
private func relativeLine(
  _ cell: ReportCell, _ values: [Float?]?, steps: Int, colour: String, width: Double,
  opacity: Double, dashed: Bool = false
) -> ChartLine? {
  let s = cell.series
  guard let values, s.steps.first == 0, let first = values.first ?? nil, first.isFinite,
    first > 0
  else { return nil }
  let n = min(values.count, s.steps.firstIndex { $0 > steps } ?? s.steps.count)
  let ratios: [Double?] = values.prefix(n).map { v in
    guard let v, v.isFinite, v > 0 else { return nil }
    return Double(v) / Double(first)
  }
  let points = decimate(steps: Array(s.steps.prefix(n)), values: ratios, maxPoints: chartPanelWidth)
  return ChartLine(
    colour: colour, points: points.map { $0.map { ($0.step, $0.mean) } }, width: width,
    opacity: opacity, dashed: dashed)
}

private func claim4Chart(_ data: ClaimData, _ o: ClaimOptions) -> Chart {
  let steps = max(1000, o.riseSteps)
  let setting = data.cells(.adam, batchNorm: false).filter {
    sameTheta($0.config.theta, o.balancedTheta)
  }
  let controls = setting.filter { $0.config.loss != .dicefg }
  let post = setting.filter { $0.config.loss == .dicefg }
  let withBatchNorm = data.cells(.adam, batchNorm: true).filter {
    sameTheta($0.config.theta, o.balancedTheta) && $0.config.loss == .dicefg
  }
  func lines(_ pick: (CellSeries) -> [Float?]?) -> [ChartLine] {
    controls.compactMap {
      relativeLine(
        $0, pick($0.series), steps: steps, colour: colour($0.config.loss), width: 1, opacity: 0.6)
    }
      + withBatchNorm.compactMap {
        relativeLine(
          $0, pick($0.series), steps: steps, colour: "#7f0000", width: 1.2, opacity: 0.8,
          dashed: true)
      }
      + post.compactMap {
        relativeLine(
          $0, pick($0.series), steps: steps, colour: colour(.dicefg), width: 2, opacity: 0.9)
      }
  }
  let band = (0.0, Double(o.riseSteps), "rise window")
  let panels = [
    ChartPanel(
      title: "loss_cce ÷ its step-0 value", xLabel: "iteration", yLabel: "× step 0",
      yLog: true, lines: lines { $0.losses[.cce] },
      levels: [(o.lossRise, "#b00020", "rise ×\(compact(o.lossRise))")], band: band,
      xRange: (0, Double(steps))),
    ChartPanel(
      title: "grad_cce ÷ its step-0 value", xLabel: "iteration", yLabel: "× step 0",
      yLog: true, lines: lines { $0.gradNorms[.cce] },
      levels: [(o.gradRise, "#b00020", "rise ×\(compact(o.gradRise))")], band: band,
      xRange: (0, Double(steps))),
  ]
  var legend: [(label: String, colour: String, dashed: Bool)] = [
    ("trained with DICEFG (the claim)", colour(.dicefg), false)
  ]
  for loss in Set(controls.map(\.config.loss)).sorted() {
    legend.append(("\(displayName(loss)) (control)", colour(loss), false))
  }
  if !withBatchNorm.isEmpty {
    legend.append(("DICEFG with batch norm (beyond the post)", "#7f0000", true))
  }
  return Chart(
    title: "Claim 4: CCE loss and gradient norm over the first \(steps) steps",
    subtitle:
      "θ = \(compact(o.balancedTheta)), Adam without batch norm. Each curve is divided by its "
      + "step-0 value; a cell rises when both pass their line in the shaded window.",
    panels: panels, legend: legend)
}

private func claim5Chart(_ data: ClaimData, _ o: ClaimOptions) -> Chart {
  let pairs = gradientPairs(data, o)
  let values = pairs.flatMap { [$0.foregroundMedian, $0.backgroundMedian] }.filter { $0 > 0 }
  let range = values.min().flatMap { low in values.max().map { (low, $0) } }
  var diagonals: [(factor: Double, label: String)] = [(1, "equal")]
  if o.gradientRatio != 1 { diagonals.append((o.gradientRatio, "ratio")) }
  let panels = gridSettings.compactMap { optimizer, batchNorm -> ChartPanel? in
    let inSetting = pairs.filter {
      $0.foreground.config.optimizer == optimizer && $0.foreground.config.batchNorm == batchNorm
    }
    guard !inSetting.isEmpty || (optimizer == .adam && !batchNorm) else { return nil }
    let post = optimizer == .adam && !batchNorm
    return ChartPanel(
      title: settingName(optimizer, batchNorm) + (post ? " (the post)" : ""),
      xLabel: "median grad norm, θ = \(compact(o.mostlyBackgroundTheta))",
      yLabel: "median grad norm, θ = \(compact(o.mostlyForegroundTheta))", xLog: true, yLog: true,
      markers: inSetting.map {
        ChartMarker(
          x: $0.backgroundMedian, y: $0.foregroundMedian, colour: colour($0.foreground.config.loss))
      }, diagonals: diagonals, xRange: range, yRange: range)
  }
  return Chart(
    title: "Claim 5: median training-loss gradient norm, 95% against 5% foreground",
    subtitle:
      "One dot per pair of cells equal but for θ; a dot below the dashed diagonal agrees "
      + "with the claim.",
    panels: panels,
    legend: Set(pairs.map(\.foreground.config.loss)).sorted().map {
      ("trained with \(displayName($0))", colour($0), false)
    })
}

private func emptyPanel() -> ChartPanel {
  ChartPanel(title: "no cells in this setting", xLabel: "iteration", yLabel: "validation accuracy")
}

private func thetas(of cells: [ReportCell]) -> [Double] {
  var out: [Double] = []
  for c in cells where !out.contains(where: { sameTheta($0, c.config.theta) }) {
    out.append(c.config.theta)
  }
  return out.sorted()
}
