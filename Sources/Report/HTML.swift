// The report page: overview of final accuracies against the majority baseline, the claims
// table, every figure and a per-cell table. Static HTML with inline CSS, no JavaScript.

import SweepSpec
import TrainingCore

private let style = """
  body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1800px}
  h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
  table{border-collapse:collapse;font-size:13px;margin:8px 0}
  th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
  th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
  td.supported{background:#d7f0d2}td.not-supported{background:#f6d3d3}
  td.not-enough-data,span.not-enough-data{background:#eeeeee}
  span.supported{background:#d7f0d2}span.not-supported{background:#f6d3d3}
  span.verdict{padding:1px 6px;font-weight:bold}h3{font-size:15px;margin-top:24px}
  section.claim{border-top:1px solid #eee}table.robustness td{font-size:12px}
  tr.diverged td{color:#b00020}tr.missing td{color:#888}
  figure{margin:16px 0}figcaption{font-size:13px;color:#444}
  img{max-width:100%;height:auto;border:1px solid #ddd}
  .note{font-size:13px;color:#555}ul.evidence{margin:0;padding-left:18px}
  code{font-size:12px}
  """

/// The index page of a report.
func renderIndex(
  _ input: ReportInput, figures: [FigureSpec], claims: [ClaimResult], options: ReportOptions
) -> String {
  let cells = input.cells.sorted { $0.id < $1.id }
  let ok = cells.filter { $0.status == .ok }.count
  let diverged = cells.filter { $0.status == .diverged }.count
  let missing = cells.filter { $0.status == .missing }.count + input.missingIDs.count
  let title = "Sweep report: \(input.sweepName)"
  var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
  h += "<title>\(escapeMarkup(title))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n"
  h += "<h1>\(escapeMarkup(title))</h1>\n"
  h +=
    "<p>\(cells.count) cells: \(ok) ok, \(diverged) diverged, \(missing) missing. "
    + "\(figures.count) figure\(figures.count == 1 ? "" : "s").</p>\n"
  h += overview(cells, options: options.claims)
  h += claimsSection(claims)
  h += "<h2>Figures</h2>\n"
  h +=
    "<p class=\"note\">Each figure holds one configuration; one column per training loss. "
    + "Top row: global gradient norm of every tracked loss (log scale). Bottom row: every "
    + "tracked loss (left axis) and validation accuracy (dashed, right axis)."
  if options.smooth > 1 {
    h += " Loss and gradient-norm lines are smoothed with a trailing moving average, window "
    h += "\(options.smooth); accuracy is not smoothed."
  }
  h += "</p>\n"
  for figure in figures {
    h += "<figure id=\"\(escapeMarkup(String(figure.fileName.dropLast(4))))\">\n"
    h += "<img src=\"\(escapeMarkup(figure.fileName))\" alt=\"\(escapeMarkup(figure.title))\">\n"
    h += "<figcaption>\(escapeMarkup(figure.title))</figcaption>\n</figure>\n"
  }
  h += cellTable(cells)
  if !input.missingIDs.isEmpty {
    h += "<p>Planned cells with no artifacts (\(input.missingIDs.count)): "
    h += input.missingIDs.sorted().map { "<code>\(escapeMarkup(shortHex($0)))</code>" }
      .joined(separator: ", ")
    h += "</p>\n"
  }
  h += "</body>\n</html>\n"
  return h
}

/// Mean final accuracy over seeds per (θ, batch norm, optimizer, other params) and training
/// loss, coloured from red (at or below the majority baseline) to green (perfect).
private func overview(_ cells: [ReportCell], options: ClaimOptions) -> String {
  let present = cells.filter { $0.finalAccuracy != nil }
  let extraKeys = varyingExtraKeys(present.map(\.config))
  let losses = Set(present.map(\.config.loss)).sorted()
  struct Row: Hashable {
    var theta: Double
    var batchNorm: Bool
    var optimizer: String
    var extras: String
  }
  var values: [Row: [Loss: [Double]]] = [:]
  for cell in present {
    guard let a = cell.finalAccuracy else { continue }
    let c = cell.config
    let row = Row(
      theta: c.theta, batchNorm: c.batchNorm, optimizer: c.optimizer.rawValue,
      extras: extrasLabel(c, keys: extraKeys))
    values[row, default: [:]][c.loss, default: []].append(a)
  }
  let rows = values.keys.sorted { a, b in
    if a.theta != b.theta { return a.theta > b.theta }
    if a.batchNorm != b.batchNorm { return !a.batchNorm }
    if a.optimizer != b.optimizer { return a.optimizer < b.optimizer }
    return a.extras < b.extras
  }
  var h = "<h2>Overview: final validation accuracy</h2>\n"
  h +=
    "<p class=\"note\">Mean over seeds of each cell's last validation accuracy (number of "
    + "cells in brackets). The baseline is the majority-class accuracy max(θ, 1−θ). Colour runs "
    + "from red (at or below the baseline) to green (1.0); claims 1 and 2 count a cell as "
    + "converged at \(compact(options.convergedAccuracy)) or more once it stops improving.</p>\n"
  guard !rows.isEmpty else { return h + "<p>No cell has a validation accuracy yet.</p>\n" }
  h += "<table>\n<tr><th>θ</th><th>foreground</th><th>batch norm</th><th>optimizer</th>"
  if !extraKeys.isEmpty { h += "<th>\(escapeMarkup(extraKeys.joined(separator: ", ")))</th>" }
  h += "<th>baseline</th>"
  for loss in losses { h += "<th>\(displayName(loss))</th>" }
  h += "</tr>\n"
  for row in rows {
    let baseline = majorityBaseline(theta: row.theta)
    h += "<tr><td class=\"num\">\(compact(row.theta))</td>"
    h += "<td class=\"num\">\(foregroundPercent(theta: row.theta))%</td>"
    h += "<td>\(row.batchNorm ? "on" : "off")</td><td>\(escapeMarkup(row.optimizer))</td>"
    if !extraKeys.isEmpty { h += "<td>\(escapeMarkup(row.extras))</td>" }
    h += "<td class=\"num\">\(fixed(baseline, 3))</td>"
    for loss in losses {
      guard let list = values[row]?[loss], !list.isEmpty else {
        h += "<td class=\"num\">—</td>"
        continue
      }
      let mean = list.reduce(0, +) / Double(list.count)
      let t = min(1, max(0, (mean - baseline) / max(1e-9, 1 - baseline)))
      h +=
        "<td class=\"num\" style=\"background:\(scaleColour(t))\">\(fixed(mean, 4)) "
        + "(\(list.count))</td>"
    }
    h += "</tr>\n"
  }
  return h + "</table>\n"
}

/// A light red-to-yellow-to-green colour for `t` in 0...1, as #rrggbb.
func scaleColour(_ t: Double) -> String {
  let low = (246.0, 190.0, 190.0)
  let mid = (250.0, 240.0, 180.0)
  let high = (185.0, 230.0, 180.0)
  let (a, b, u) = t < 0.5 ? (low, mid, t * 2) : (mid, high, (t - 0.5) * 2)
  func mix(_ x: Double, _ y: Double) -> String {
    let v = Int((x + (y - x) * u).rounded())
    let hex = String(min(255, max(0, v)), radix: 16)
    return hex.count == 1 ? "0" + hex : hex
  }
  return "#" + mix(a.0, b.0) + mix(a.1, b.1) + mix(a.2, b.2)
}

private func claimsSection(_ claims: [ClaimResult]) -> String {
  var h = "<h2 id=\"claims\">Claims of the published study</h2>\n"
  h +=
    "<p class=\"note\">Each claim is judged in the setting the post describes, against "
    + "controls where it is a difference (rules and thresholds: docs/REPORT.md). <i>Seeds</i>: "
    + "how many seeds alone give the same verdict. <i>Robust</i>: whether the verdict stays the "
    + "same across the range of every threshold it uses.</p>\n<table>\n"
  h += "<tr><th>#</th><th>claim</th><th>verdict</th><th>seeds</th><th>robust</th>"
  h += "<th>cells</th></tr>\n"
  for c in claims {
    let agreeing = c.seedVerdicts.filter { $0.verdict == c.verdict }.count
    h += "<tr><td class=\"num\"><a href=\"#claim-\(c.number)\">\(c.number)</a></td>"
    h += "<td>\(escapeMarkup(c.statement))</td>"
    h +=
      "<td class=\"\(c.verdict.rawValue.replacingSpaces())\">\(escapeMarkup(c.verdict.rawValue))</td>"
    h += "<td class=\"num\">\(agreeing) of \(c.seedVerdicts.count)</td>"
    h += "<td>\(c.robustness.allSatisfy(\.isStable) ? "yes" : "no")</td>"
    h += "<td class=\"num\">\(c.cellIDs.count)</td></tr>\n"
  }
  h += "</table>\n"
  for c in claims { h += claimDetail(c) }
  return h
}

/// One claim: verdict, rule, numbers, seeds, robustness table, beyond the post, figure.
private func claimDetail(_ c: ClaimResult) -> String {
  let cls = c.verdict.rawValue.replacingSpaces()
  var h = "<section class=\"claim\" id=\"claim-\(c.number)\">\n"
  h += "<h3>Claim \(c.number): \(escapeMarkup(c.statement))</h3>\n"
  h += "<p>Verdict: <span class=\"verdict \(cls)\">\(escapeMarkup(c.verdict.rawValue))</span>. "
  h += "Seeds: \(escapeMarkup(c.seedSummary)).</p>\n"
  h += "<p class=\"note\"><b>Rule.</b> \(escapeMarkup(c.rule))</p>\n"
  h += "<p class=\"note\"><b>Cells.</b> \(escapeMarkup(c.cellSummary))</p>\n"
  h += "<ul class=\"evidence\">"
  for line in c.evidence { h += "<li>\(escapeMarkup(line))</li>" }
  h += "</ul>\n"
  if !c.robustness.isEmpty {
    h += "<table class=\"robustness\">\n<tr><th>threshold</th><th colspan=\"8\">verdict at each "
    h += "value (<b>bold</b>: the value used)</th></tr>\n"
    for t in c.robustness {
      h += "<tr><td><code>--\(escapeMarkup(t.name))</code></td>"
      for p in t.points {
        let value = compact(p.value)
        h += "<td class=\"num \(p.verdict.rawValue.replacingSpaces())\">"
        h += (p.value == t.current ? "<b>\(value)</b>" : value) + " \(p.verdict.short)</td>"
      }
      h += "</tr>\n"
    }
    h += "</table>\n"
  }
  if !c.beyond.isEmpty {
    h += "<p class=\"note\"><b>Beyond the post.</b></p>\n<ul class=\"evidence\">"
    for line in c.beyond { h += "<li>\(escapeMarkup(line))</li>" }
    h += "</ul>\n"
  }
  h += "<figure><img src=\"claim-\(c.number).svg\" alt=\"Evidence for claim \(c.number)\">"
  h += "<figcaption>Evidence for claim \(c.number).</figcaption></figure>\n"
  return h + "</section>\n"
}

private func cellTable(_ cells: [ReportCell]) -> String {
  let extraKeys = varyingExtraKeys(cells.map(\.config))
  var h = "<h2>Cells</h2>\n<table>\n<tr><th>id</th><th>loss</th><th>θ</th><th>optimizer</th>"
  h += "<th>batch norm</th><th>seed</th>"
  if !extraKeys.isEmpty { h += "<th>\(escapeMarkup(extraKeys.joined(separator: ", ")))</th>" }
  // The failure ledger's attempts, when the run recorded one (attempts/<id>.ndjson).
  let ledger = cells.contains { $0.attempts > 0 }
  h += "<th>status</th><th>final accuracy</th><th>baseline</th>"
  h += ledger ? "<th>attempts</th></tr>\n" : "</tr>\n"
  for cell in cells {
    let c = cell.config
    h +=
      "<tr class=\"\(escapeMarkup(cell.status.rawValue))\"><td><code title=\"\(escapeMarkup(cell.id))\">"
    h += "\(escapeMarkup(cell.shortID))</code></td><td>\(displayName(c.loss))</td>"
    h += "<td class=\"num\">\(compact(c.theta))</td><td>\(c.optimizer.rawValue)</td>"
    h += "<td>\(c.batchNorm ? "on" : "off")</td><td class=\"num\">\(c.seed)</td>"
    if !extraKeys.isEmpty { h += "<td>\(escapeMarkup(extrasLabel(c, keys: extraKeys)))</td>" }
    h += "<td>\(escapeMarkup(cell.status.rawValue))</td>"
    h += "<td class=\"num\">\(cell.finalAccuracy.map { fixed($0, 4) } ?? "—")</td>"
    h += "<td class=\"num\">\(fixed(majorityBaseline(theta: c.theta), 3))</td>"
    h += ledger ? "<td class=\"num\">\(cell.attempts)</td></tr>\n" : "</tr>\n"
  }
  return h + "</table>\n"
}

extension String {
  fileprivate func replacingSpaces() -> String {
    String(map { $0 == " " ? "-" : $0 })
  }
}
