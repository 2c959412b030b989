// The per-config figures in the published layout: one column per training loss, gradient norms
// of every tracked loss on top (log axis), tracked losses plus validation accuracy below.

import Foundation
import SweepSpec
import TrainingCore

/// One figure to draw: the cells that share every parameter but the training loss.
struct FigureSpec {
  var fileName: String
  var title: String
  /// One cell per column, in canonical loss order.
  var cells: [ReportCell]
}

/// The figures of a report, in a fixed order: foreground share, optimizer, batch norm, seed,
/// then any other varying parameters. Missing cells have no data and are left out.
func figureSpecs(_ input: ReportInput) -> [FigureSpec] {
  let present = input.cells.filter { $0.status != .missing }
  let extraKeys = varyingExtraKeys(present.map(\.config))
  var groups: [TrainingConfig: [ReportCell]] = [:]
  for cell in present {
    var key = cell.config
    key.loss = .cce
    groups[key, default: []].append(cell)
  }
  let keys = groups.keys.sorted { a, b in
    let fa = foregroundPercent(theta: a.theta)
    let fb = foregroundPercent(theta: b.theta)
    if fa != fb { return fa < fb }
    if a.theta != b.theta { return a.theta > b.theta }
    if a.optimizer != b.optimizer { return a.optimizer.rawValue < b.optimizer.rawValue }
    if a.batchNorm != b.batchNorm { return !a.batchNorm }
    if a.seed != b.seed { return a.seed < b.seed }
    return extrasLabel(a, keys: extraKeys) < extrasLabel(b, keys: extraKeys)
  }
  var used: Set<String> = []
  var specs: [FigureSpec] = []
  for key in keys {
    let cells = (groups[key] ?? []).sorted {
      $0.config.loss != $1.config.loss ? $0.config.loss < $1.config.loss : $0.id < $1.id
    }
    var unique: [ReportCell] = []
    for cell in cells where unique.last?.config.loss != cell.config.loss { unique.append(cell) }
    var name = figureFileName(key, extraKeys: extraKeys)
    if used.contains(name) { name = "fig-" + shortHex(unique[0].id) + ".svg" }
    used.insert(name)
    specs.append(
      FigureSpec(fileName: name, title: figureTitle(key, extraKeys: extraKeys), cells: unique))
  }
  return specs
}

/// A file name like `fig-fg05-adam-bn0-seed1.svg`, made of safe characters only.
func figureFileName(_ c: TrainingConfig, extraKeys: [String]) -> String {
  let fg = foregroundPercent(theta: c.theta)
  var name =
    "fig-fg\(fg < 10 ? "0" : "")\(fg)-\(c.optimizer.rawValue)-bn\(c.batchNorm ? 1 : 0)-seed\(c.seed)"
  for entry in extraParameters(c) where extraKeys.contains(entry.key) {
    name += "-" + entry.key + entry.value
  }
  let safe = name.map { ch -> Character in
    ch.isASCII && (ch.isLetter || ch.isNumber || ch == "-" || ch == "." || ch == "_") ? ch : "_"
  }
  return String(safe) + ".svg"
}

// Layout of a figure, in SVG user units (pixels).
private let panelWidth = 280
private let panelHeight = 160
private let marginLeft = 80
private let marginRight = 66
private let columnGap = 34
private let marginTop = 92
private let rowGap = 58
private let minimumWidth = 660

/// A prepared line: its colour, its points (`nil` = gap) and whether it was bucketed.
private struct Line {
  var colour: String
  var points: [LinePoint?]
  var banded: Bool
}

/// Prepares one series for drawing: drops values the axis cannot show, smooths, decimates.
private func prepare(
  steps: [Int], values: [Float?], log: Bool, smooth: Int, maxPoints: Int, colour: String
) -> Line {
  let raw: [Double?] = values.map { v in
    guard let v, v.isFinite, !log || v > 0 else { return nil }
    return Double(v)
  }
  let smoothed = movingAverage(raw, window: smooth)
  let limit = min(maxPoints, panelWidth)
  let points = decimate(steps: steps, values: smoothed, maxPoints: limit)
  return Line(colour: colour, points: points, banded: min(steps.count, values.count) > limit)
}

/// The range of every point (band included) of some lines.
private func range(_ lines: [Line]) -> (low: Double, high: Double)? {
  var low = Double.infinity
  var high = -Double.infinity
  for line in lines {
    for case let p? in line.points {
      low = min(low, p.min)
      high = max(high, p.max)
    }
  }
  return low <= high ? (low, high) : nil
}

/// Maps data to pixel coordinates (in tenths of a pixel, so paths are exact integers).
private struct Frame {
  var x0: Int
  var y0: Int
  var xLow: Double
  var xHigh: Double
  var y: Ticks

  func px(_ step: Double) -> Int {
    let t = (step - xLow) / max(1e-12, xHigh - xLow)
    return Int(((Double(x0) + t * Double(panelWidth)) * 10).rounded())
  }

  func py(_ value: Double) -> Int {
    var t: Double
    if y.isLog {
      let v = max(value, y.low)
      t = (log10(v) - log10(y.low)) / max(1e-12, log10(y.high) - log10(y.low))
    } else {
      t = (value - y.low) / max(1e-300, y.high - y.low)
    }
    t = min(max(t, -0.05), 1.05)
    return Int(((Double(y0 + panelHeight) - t * Double(panelHeight)) * 10).rounded())
  }
}

/// A coordinate in tenths of a pixel as SVG text.
func tenths(_ t: Int) -> String {
  let negative = t < 0
  let m = negative ? -t : t
  let text = m % 10 == 0 ? String(m / 10) : "\(m / 10).\(m % 10)"
  return (negative ? "-" : "") + text
}

/// Path data through points given in tenths, relative after the first.
func pathData(_ points: [(Int, Int)], close: Bool = false) -> String {
  guard let first = points.first else { return "" }
  var d = "M" + tenths(first.0) + " " + tenths(first.1)
  if points.count == 1 { return d + "h0" }
  d += "l"
  var previous = first
  for (i, p) in points.dropFirst().enumerated() {
    if i > 0 { d += " " }
    d += tenths(p.0 - previous.0) + " " + tenths(p.1 - previous.1)
    previous = p
  }
  return close ? d + "Z" : d
}

/// The SVG elements of one line: its min/max band (when bucketed) then the mean line.
private func lineElements(_ line: Line, frame: Frame, dashed: Bool = false) -> String {
  var segments: [[LinePoint]] = [[]]
  for point in line.points {
    if let point {
      segments[segments.count - 1].append(point)
    } else if !(segments.last?.isEmpty ?? true) {
      segments.append([])
    }
  }
  var out = ""
  for segment in segments where !segment.isEmpty {
    if line.banded && segment.count > 1 {
      let upper = segment.map { (frame.px($0.step), frame.py($0.max)) }
      let lower = segment.reversed().map { (frame.px($0.step), frame.py($0.min)) }
      out +=
        "<path d=\"\(pathData(upper + lower, close: true))\" fill=\"\(line.colour)\" "
        + "fill-opacity=\"0.18\" stroke=\"none\"/>\n"
    }
  }
  for segment in segments where !segment.isEmpty {
    let points = segment.map { (frame.px($0.step), frame.py($0.mean)) }
    out +=
      "<path d=\"\(pathData(points))\" stroke=\"\(line.colour)\""
      + (dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n"
  }
  return out
}

func text(
  _ x: Int, _ y: Int, _ content: String, size: Int = 10, anchor: String = "middle",
  extra: String = ""
) -> String {
  "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" text-anchor=\"\(anchor)\"\(extra)>"
    + escapeMarkup(content) + "</text>\n"
}

/// A tick label; log-axis labels are written 10 with a raised exponent.
func tickLabel(_ ticks: Ticks, _ value: Double, x: Int, y: Int, anchor: String) -> String {
  guard ticks.isLog else { return text(x, y, ticks.label(value), anchor: anchor) }
  let exponent = Int(log10(value).rounded())
  return "<text x=\"\(x)\" y=\"\(y)\" font-size=\"10\" text-anchor=\"\(anchor)\">10"
    + "<tspan dy=\"-4\" font-size=\"8\">\(exponent)</tspan></text>\n"
}

/// The lines of a figure's panels, prepared first so each row can share one y range.
private struct FigureLines {
  /// Per cell (column): one line per tracked loss, in `tracked` order.
  var grad: [[Line]] = []
  var loss: [[Line]] = []
  /// Per cell: its validation accuracy.
  var accuracy: [Line] = []
  /// The largest step any panel shows.
  var xHigh = 1.0

  init(_ spec: FigureSpec, tracked: [Loss], options: ReportOptions) {
    for cell in spec.cells {
      let s = cell.series
      /// One line per tracked loss that has `values`.
      func lines(_ values: [Loss: [Float?]], log: Bool) -> [Line] {
        tracked.compactMap { loss in
          values[loss].map {
            prepare(
              steps: s.steps, values: $0, log: log, smooth: options.smooth,
              maxPoints: options.maxPoints, colour: colour(loss))
          }
        }
      }
      grad.append(lines(s.gradNorms, log: true))
      loss.append(lines(s.losses, log: false))
      let points = s.accuracy.filter { $0.value.isFinite }
      accuracy.append(
        Line(
          colour: "#000000",
          points: points.map {
            LinePoint(step: Double($0.step), mean: $0.value, min: $0.value, max: $0.value)
          }, banded: false))
      xHigh = max(
        xHigh, Double(s.steps.last ?? 0), Double(s.accuracy.last?.step ?? 0),
        Double(cell.config.iterations - 1))
    }
  }

  /// Whether any line is drawn as a bucketed band (the legend then explains bands).
  var anyBand: Bool { (grad + loss).joined().contains { $0.banded } }
}

/// One legend entry placed at `x` on its row.
typealias LegendEntry = (label: String, colour: String, dashed: Bool, x: Int)

/// Legend entries laid out in rows that fit `width`, each row starting at `left`; shared by
/// every kind of figure.
func legendLayout(
  _ entries: [(label: String, colour: String, dashed: Bool)], width: Int, left: Int
) -> [[LegendEntry]] {
  var rows: [[LegendEntry]] = [[]]
  var cursor = left
  for entry in entries {
    let w = 34 + entry.label.count * 6 + 16
    if cursor + w > width - 10 && !(rows.last?.isEmpty ?? true) {
      rows.append([])
      cursor = left
    }
    rows[rows.count - 1].append((entry.label, entry.colour, entry.dashed, cursor))
    cursor += w
  }
  return rows
}

/// The legend of a figure: each tracked loss, then the accuracy line.
private func legendRows(tracked: [Loss], width: Int) -> [[LegendEntry]] {
  var legend: [(label: String, colour: String, dashed: Bool)] = tracked.map {
    (displayName($0), colour($0), false)
  }
  legend.append(("validation accuracy (right axis)", "#000000", true))
  return legendLayout(legend, width: width, left: marginLeft)
}

/// The opening of a standalone SVG document: its size, title and white background.
func svgDocumentStart(width: Int, height: Int, title: String) -> String {
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
    + "viewBox=\"0 0 \(width) \(height)\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
    + "<title>\(escapeMarkup(title))</title>\n"
    + "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
}

/// The shared axes of a figure's panels.
private struct FigureAxes {
  var grad: Ticks
  var loss: Ticks
  var accuracy: Ticks
  var x: Ticks

  init(_ lines: FigureLines) {
    let gradRange = range(lines.grad.flatMap { $0 })
    let lossRange = range(lines.loss.flatMap { $0 })
    grad = logTicks(low: gradRange?.low ?? 0, high: gradRange?.high ?? 0)
    loss = linearTicks(low: lossRange?.low ?? 0, high: lossRange?.high ?? 1)
    accuracy = linearTicks(low: 0, high: 1, target: 5)
    x = linearTicks(low: 0, high: lines.xHigh, target: 4)
  }
}

/// One panel at (`x0`, `y0`): grid, ticks, the lines clipped to it (with the accuracy line on the
/// loss row), its frame and, on the loss row, the right accuracy axis. `clip` is a figure-wide
/// counter for clip-path ids.
private func panel(
  x0: Int, y0: Int, ticks: Ticks, lines: [Line], accuracy: Line?, axes: FigureAxes,
  firstColumn: Bool, lastColumn: Bool, clip: inout Int
) -> String {
  var svg = ""
  let frame = Frame(x0: x0, y0: y0, xLow: 0, xHigh: axes.x.high, y: ticks)
  // Grid and ticks.
  svg += "<g stroke=\"#e3e3e3\" stroke-width=\"1\">\n"
  for v in ticks.values {
    let y = tenths(frame.py(v))
    svg += "<path d=\"M\(x0) \(y)h\(panelWidth)\"/>\n"
  }
  for v in axes.x.values {
    let x = tenths(frame.px(v))
    svg += "<path d=\"M\(x) \(y0)v\(panelHeight)\"/>\n"
  }
  svg += "</g>\n"
  for v in ticks.values {
    let y = frame.py(v) / 10
    svg += "<path d=\"M\(x0 - 4) \(y)h4\" stroke=\"#555555\"/>\n"
    if firstColumn { svg += tickLabel(ticks, v, x: x0 - 7, y: y + 4, anchor: "end") }
  }
  for v in axes.x.values {
    let x = frame.px(v) / 10
    svg += "<path d=\"M\(x) \(y0 + panelHeight)v4\" stroke=\"#555555\"/>\n"
    svg += text(x, y0 + panelHeight + 15, axes.x.label(v))
  }
  svg += text(x0 + panelWidth / 2, y0 + panelHeight + 30, "iteration", size: 11)
  // Data, clipped to the panel.
  svg +=
    "<clipPath id=\"c\(clip)\"><rect x=\"\(x0)\" y=\"\(y0)\" "
    + "width=\"\(panelWidth)\" height=\"\(panelHeight)\"/></clipPath>\n"
  svg +=
    "<g clip-path=\"url(#c\(clip))\" fill=\"none\" stroke-width=\"1.2\" "
    + "stroke-linejoin=\"round\" stroke-linecap=\"round\">\n"
  clip += 1
  for line in lines { svg += lineElements(line, frame: frame) }
  let accuracyFrame = Frame(x0: x0, y0: y0, xLow: 0, xHigh: axes.x.high, y: axes.accuracy)
  if let accuracy { svg += lineElements(accuracy, frame: accuracyFrame, dashed: true) }
  svg += "</g>\n"
  svg += panelFrame(
    x0: x0, y0: y0, width: panelWidth, height: panelHeight,
    empty: lines.allSatisfy { $0.points.allSatisfy { $0 == nil } })
  if accuracy != nil {
    // Right axis: validation accuracy.
    let right = x0 + panelWidth
    for v in axes.accuracy.values {
      let y = accuracyFrame.py(v) / 10
      svg += "<path d=\"M\(right) \(y)h4\" stroke=\"#555555\"/>\n"
      if lastColumn { svg += text(right + 7, y + 4, axes.accuracy.label(v), anchor: "start") }
    }
  }
  return svg
}

/// A panel's "no data" note (when `empty`) and its frame, shared by every kind of figure.
func panelFrame(x0: Int, y0: Int, width: Int, height: Int, empty: Bool) -> String {
  var svg = ""
  if empty {
    svg += text(x0 + width / 2, y0 + height / 2, "no data", size: 11, extra: " fill=\"#888888\"")
  }
  svg +=
    "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(width)\" height=\"\(height)\" "
    + "fill=\"none\" stroke=\"#555555\"/>\n"
  return svg
}

/// The legend rows at `y`, then the note on bands when any line is bucketed.
func legendElements(_ rows: [[LegendEntry]], y legendY: Int, anyBand: Bool) -> String {
  var svg = ""
  for (rowIndex, row) in rows.enumerated() {
    let y = legendY + rowIndex * 18
    for entry in row {
      svg +=
        "<path d=\"M\(entry.x) \(y - 4)h26\" stroke=\"\(entry.colour)\" stroke-width=\"2\""
        + (entry.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n"
      svg += text(entry.x + 32, y, entry.label, size: 11, anchor: "start")
    }
  }
  if anyBand {
    let y = legendY + rows.count * 18
    svg +=
      "<rect x=\"\(marginLeft)\" y=\"\(y - 9)\" width=\"26\" height=\"8\" fill=\"#555555\" "
      + "fill-opacity=\"0.18\"/>\n"
    svg += text(
      marginLeft + 32, y,
      "long lines: mean per bucket of steps, band from bucket min to max", size: 11,
      anchor: "start")
  }
  return svg
}

/// Renders one figure as a standalone SVG document: a title, a column of two panels per cell
/// (gradient norms above, losses and accuracy below) and a legend.
func renderFigure(_ spec: FigureSpec, options: ReportOptions) -> String {
  let columns = max(1, spec.cells.count)
  let plotWidth = columns * panelWidth + (columns - 1) * columnGap
  let width = max(minimumWidth, marginLeft + plotWidth + marginRight)
  let tracked = Set(spec.cells.flatMap { Array($0.series.gradNorms.keys) + $0.series.losses.keys })
    .sorted()
  let lines = FigureLines(spec, tracked: tracked, options: options)
  let axes = FigureAxes(lines)
  let anyBand = lines.anyBand

  let topRowY = marginTop
  let bottomRowY = marginTop + panelHeight + rowGap
  let legendY = bottomRowY + panelHeight + 56
  let legend = legendRows(tracked: tracked, width: width)
  let height = legendY + legend.count * 18 + (anyBand ? 18 : 0) + 8

  var svg = svgDocumentStart(width: width, height: height, title: spec.title)
  svg += text(width / 2, 24, spec.title, size: 15, extra: " font-weight=\"bold\"")
  var subtitle = "Top: global gradient norm of each tracked loss. Bottom: tracked losses, "
  subtitle += "validation accuracy dashed."
  if options.smooth > 1 { subtitle += " Smoothed, window \(options.smooth)." }
  svg += text(width / 2, 44, subtitle, size: 11)

  var clip = 0
  for (column, cell) in spec.cells.enumerated() {
    let x0 = marginLeft + column * (panelWidth + columnGap)
    let diverged = cell.status == .diverged
    svg += text(
      x0 + panelWidth / 2, topRowY - 24, "trained with \(displayName(cell.config.loss))", size: 12)
    svg += text(
      x0 + panelWidth / 2, topRowY - 9, cell.shortID + (diverged ? " · DIVERGED" : ""),
      extra: diverged ? " fill=\"#b00020\" font-weight=\"bold\"" : " fill=\"#555555\"")
    let first = column == 0
    let last = column == columns - 1
    svg += panel(
      x0: x0, y0: topRowY, ticks: axes.grad, lines: lines.grad[column], accuracy: nil,
      axes: axes, firstColumn: first, lastColumn: last, clip: &clip)
    svg += panel(
      x0: x0, y0: bottomRowY, ticks: axes.loss, lines: lines.loss[column],
      accuracy: lines.accuracy[column], axes: axes, firstColumn: first, lastColumn: last,
      clip: &clip)
  }
  // Axis titles.
  let lastRight = marginLeft + plotWidth
  svg += rotatedText(
    16, topRowY + panelHeight / 2, "gradient norm (log scale)", angle: -90)
  svg += rotatedText(16, bottomRowY + panelHeight / 2, "loss", angle: -90)
  svg += rotatedText(
    lastRight + 52, bottomRowY + panelHeight / 2, "validation accuracy", angle: 90)
  svg += legendElements(legend, y: legendY, anyBand: anyBand)
  svg += "</svg>\n"
  return svg
}

private func rotatedText(_ x: Int, _ y: Int, _ content: String, angle: Int) -> String {
  text(x, y, content, size: 11, extra: " transform=\"rotate(\(angle) \(x) \(y))\"")
}
