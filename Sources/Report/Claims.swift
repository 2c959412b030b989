// The published study's five conclusions for the toy task, each checked against a sweep with an
// explicit rule, so a reader sees the verdict, the cells behind it and the numbers.

import TrainingCore

/// Thresholds of the claims check. Every number a verdict depends on is here.
public struct ClaimOptions: Sendable, Equatable {
  /// A cell converged when its status is `ok` and its final validation accuracy is at least
  /// the majority-class baseline max(θ, 1−θ) plus this margin.
  public var margin: Double = 0.02
  /// A cell reached good accuracy when its status is `ok` and its final validation accuracy
  /// closes at least this fraction of the gap between the majority baseline and 1
  /// (0.5: at least halfway from always predicting the majority class to perfect).
  public var goodGapFraction: Double = 0.5
  /// Claim 4 looks at the first `earlyFraction` of the run's iterations.
  public var earlyFraction: Double = 0.1
  /// Claim 4: a spike is a maximum in the early window of at least this times the step-0 value.
  public var spikeFactor: Double = 2
  /// Claims 4 and 5 hold when they hold for at least this fraction of the cells or pairs.
  public var majorityFraction: Double = 0.75
  /// The class balance with 95% foreground (claims 2 and 5).
  public var mostlyForegroundTheta: Double = 0.05
  /// The class balance with 5% foreground (claim 5).
  public var mostlyBackgroundTheta: Double = 0.95
  /// The class balance of claim 4 (50% foreground).
  public var balancedTheta: Double = 0.5

  public init() {}
}

/// What the data say about one claim.
public enum ClaimVerdict: String, Sendable, Equatable {
  case supported = "supported"
  case notSupported = "not supported"
  case notEnoughData = "not enough data"
}

/// The outcome of checking one claim.
public struct ClaimResult: Sendable, Equatable {
  /// 1-based claim number, as listed in docs/REPORT.md.
  public var number: Int
  /// The claim as the paper states it.
  public var statement: String
  /// The exact rule applied, thresholds included.
  public var rule: String
  /// Ids of the cells the rule looked at, sorted.
  public var cellIDs: [String]
  public var verdict: ClaimVerdict
  /// The numbers behind the verdict, one short sentence each.
  public var evidence: [String]

  public init(
    number: Int, statement: String, rule: String, cellIDs: [String], verdict: ClaimVerdict,
    evidence: [String]
  ) {
    self.number = number
    self.statement = statement
    self.rule = rule
    self.cellIDs = cellIDs
    self.verdict = verdict
    self.evidence = evidence
  }

  /// "n cells: id1, id2, … (+k more)" with short ids.
  public var cellSummary: String {
    let shown = cellIDs.prefix(6).map { String($0.prefix(12)) }
    var text = "\(cellIDs.count) cell\(cellIDs.count == 1 ? "" : "s")"
    if !shown.isEmpty { text += ": " + shown.joined(separator: ", ") }
    if cellIDs.count > shown.count { text += ", … (+\(cellIDs.count - shown.count) more)" }
    return text
  }
}

/// Checks the five published claims against the sweep's cells.
public func evaluateClaims(_ input: ReportInput, options: ClaimOptions) -> [ClaimResult] {
  let cells = input.cells.filter { $0.status != "missing" }.sorted { $0.id < $1.id }
  return [
    claimSGD(cells, options),
    claimAdamNoBatchNorm(cells, options),
    claimBatchNorm(cells, options),
    claimEarlySpike(cells, options),
    claimGradientScale(cells, options),
  ]
}

private func converged(_ cell: ReportCell, _ o: ClaimOptions) -> Bool {
  guard cell.status == "ok", let a = cell.finalAccuracy else { return false }
  return a >= majorityBaseline(theta: cell.config.theta) + o.margin
}

private func goodAccuracy(_ cell: ReportCell, _ o: ClaimOptions) -> Bool {
  guard cell.status == "ok", let a = cell.finalAccuracy else { return false }
  let baseline = majorityBaseline(theta: cell.config.theta)
  return a >= baseline + o.goodGapFraction * (1 - baseline)
}

/// "DICEFG θ=0.05 bn off adam seed 1 (1a2b3c4d): acc 0.9512 vs needed 0.97".
private func describe(_ cell: ReportCell) -> String {
  let c = cell.config
  return "\(displayName(c.loss)) θ=\(compact(c.theta)) bn \(c.batchNorm ? "on" : "off") "
    + "\(c.optimizer.rawValue) seed \(c.seed) (\(cell.shortID))"
}

private func accuracyText(_ cell: ReportCell) -> String {
  cell.finalAccuracy.map { fixed($0, 4) } ?? "none"
}

private func listed(_ cells: [ReportCell], limit: Int = 5) -> String {
  var parts = cells.prefix(limit).map { "\(describe($0)) final accuracy \(accuracyText($0))" }
  if cells.count > limit { parts.append("… (+\(cells.count - limit) more)") }
  return parts.joined(separator: "; ")
}

private func claimSGD(_ cells: [ReportCell], _ o: ClaimOptions) -> ClaimResult {
  let statement = "With SGD none of the models converged, with or without batch norm."
  let rule =
    "Cells with optimizer sgd. Converged = status ok and final validation accuracy ≥ "
    + "max(θ, 1−θ) + \(compact(o.margin)). Supported when no such cell converged; needs cells "
    + "with batch norm off and on."
  let looked = cells.filter { $0.config.optimizer == .sgd && $0.finalAccuracy != nil }
  let ids = looked.map(\.id)
  let off = looked.filter { !$0.config.batchNorm }
  let on = looked.filter { $0.config.batchNorm }
  guard !off.isEmpty, !on.isEmpty else {
    return ClaimResult(
      number: 1, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "SGD cells with an accuracy: \(off.count) with batch norm off, \(on.count) with batch norm on."
      ])
  }
  let convergedCells = looked.filter { converged($0, o) }
  var evidence = [
    "\(convergedCells.count) of \(looked.count) SGD cells converged "
      + "(\(off.filter { converged($0, o) }.count)/\(off.count) batch norm off, "
      + "\(on.filter { converged($0, o) }.count)/\(on.count) on)."
  ]
  if !convergedCells.isEmpty { evidence.append("Converged: " + listed(convergedCells) + ".") }
  if let best = looked.max(by: { margin($0) < margin($1) }) {
    evidence.append(
      "Largest margin over baseline: \(describe(best)) \(fixed(margin(best), 4)).")
  }
  return ClaimResult(
    number: 1, statement: statement, rule: rule, cellIDs: ids,
    verdict: convergedCells.isEmpty ? .supported : .notSupported, evidence: evidence)
}

/// Final accuracy minus the majority baseline (−1 when there is no accuracy).
private func margin(_ cell: ReportCell) -> Double {
  guard let a = cell.finalAccuracy else { return -1 }
  return a - majorityBaseline(theta: cell.config.theta)
}

private func claimAdamNoBatchNorm(_ cells: [ReportCell], _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "With Adam and without batch norm all models converged except the one trained with "
    + "DICEFG at 95% foreground (θ = 0.05)."
  let rule =
    "Cells with optimizer adam, batch norm off. Converged = status ok and final validation "
    + "accuracy ≥ max(θ, 1−θ) + \(compact(o.margin)). Supported when every DICEFG cell at "
    + "θ = \(compact(o.mostlyForegroundTheta)) did not converge and every other cell did; needs "
    + "at least one of each."
  let looked = cells.filter {
    $0.config.optimizer == .adam && !$0.config.batchNorm && $0.finalAccuracy != nil
  }
  let ids = looked.map(\.id)
  let isException: (ReportCell) -> Bool = {
    $0.config.loss == .dicefg && sameTheta($0.config.theta, o.mostlyForegroundTheta)
  }
  let exceptions = looked.filter(isException)
  let others = looked.filter { !isException($0) }
  guard !exceptions.isEmpty, !others.isEmpty else {
    return ClaimResult(
      number: 2, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "Adam, batch norm off cells with an accuracy: \(exceptions.count) DICEFG at "
          + "θ = \(compact(o.mostlyForegroundTheta)), \(others.count) others."
      ])
  }
  let failedOthers = others.filter { !converged($0, o) }
  let convergedExceptions = exceptions.filter { converged($0, o) }
  var evidence = [
    "\(others.count - failedOthers.count) of \(others.count) other cells converged; "
      + "\(convergedExceptions.count) of \(exceptions.count) DICEFG θ = "
      + "\(compact(o.mostlyForegroundTheta)) cells converged."
  ]
  if !failedOthers.isEmpty { evidence.append("Did not converge: " + listed(failedOthers) + ".") }
  evidence.append("DICEFG θ = \(compact(o.mostlyForegroundTheta)): " + listed(exceptions) + ".")
  let holds = failedOthers.isEmpty && convergedExceptions.isEmpty
  return ClaimResult(
    number: 2, statement: statement, rule: rule, cellIDs: ids,
    verdict: holds ? .supported : .notSupported, evidence: evidence)
}

private func claimBatchNorm(_ cells: [ReportCell], _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "With batch norm (Adam) every model reached good accuracy at every class balance, "
    + "whatever the loss."
  let rule =
    "Cells with optimizer adam, batch norm on. Good accuracy = status ok and final validation "
    + "accuracy ≥ b + \(compact(o.goodGapFraction))·(1 − b), b = max(θ, 1−θ). Supported when "
    + "every such cell is good; needs at least two class balances."
  let looked = cells.filter { $0.config.optimizer == .adam && $0.config.batchNorm }
  let ids = looked.map(\.id)
  var thetas: [Double] = []
  for c in looked where !thetas.contains(where: { sameTheta($0, c.config.theta) }) {
    thetas.append(c.config.theta)
  }
  thetas.sort()
  guard thetas.count >= 2 else {
    return ClaimResult(
      number: 3, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "Adam, batch norm on: \(looked.count) cells at \(thetas.count) class balance(s)."
      ])
  }
  let bad = looked.filter { !goodAccuracy($0, o) }
  var evidence = [
    "\(looked.count - bad.count) of \(looked.count) cells good, at θ = "
      + thetas.map(compact).joined(separator: ", ") + "."
  ]
  if !bad.isEmpty { evidence.append("Not good: " + listed(bad) + ".") }
  if let worst = looked.min(by: { margin($0) < margin($1) }) {
    evidence.append("Smallest margin over baseline: \(describe(worst)) \(fixed(margin(worst), 4)).")
  }
  return ClaimResult(
    number: 3, statement: statement, rule: rule, cellIDs: ids,
    verdict: bad.isEmpty ? .supported : .notSupported, evidence: evidence)
}

/// Step-0 value and the early-window maximum of a series, if both exist.
private func spike(steps: [Int], values: [Float?]?, lastEarlyStep: Int) -> (
  start: Double, peak: Double
)? {
  guard let values, let i0 = steps.firstIndex(of: 0), i0 < values.count,
    let start = values[i0], start.isFinite, start > 0
  else { return nil }
  var peak = Double(start)
  for (i, step) in steps.enumerated() where step <= lastEarlyStep && i < values.count {
    if let v = values[i], v.isFinite { peak = max(peak, Double(v)) }
  }
  return (Double(start), peak)
}

private func claimEarlySpike(_ cells: [ReportCell], _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "Training with DICEFG at 50% foreground (θ = 0.5), the CCE loss and its gradient norm "
    + "shot up at the start."
  let rule =
    "Cells trained with DICEFG at θ = \(compact(o.balancedTheta)) with optimizer adam that track "
    + "CCE. A cell spikes when the maximum of loss_cce and of grad_cce over steps ≤ "
    + "\(compact(o.earlyFraction))·(iterations − 1) are both ≥ \(compact(o.spikeFactor))× their "
    + "step-0 values. Supported when at least \(compact(o.majorityFraction)) of the cells spike."
  let candidates = cells.filter {
    $0.config.loss == .dicefg && sameTheta($0.config.theta, o.balancedTheta)
      && $0.config.optimizer == .adam
  }
  var looked: [ReportCell] = []
  var lines: [String] = []
  var spiking = 0
  for cell in candidates {
    let early = Int((o.earlyFraction * Double(max(0, cell.config.iterations - 1))).rounded(.down))
    let s = cell.series
    guard let loss = spike(steps: s.steps, values: s.losses[.cce], lastEarlyStep: early),
      let grad = spike(steps: s.steps, values: s.gradNorms[.cce], lastEarlyStep: early)
    else { continue }
    looked.append(cell)
    let lossRatio = loss.peak / loss.start
    let gradRatio = grad.peak / grad.start
    let spikes = lossRatio >= o.spikeFactor && gradRatio >= o.spikeFactor
    if spikes { spiking += 1 }
    if lines.count < 6 {
      lines.append(
        "\(describe(cell)): loss_cce \(compact(loss.start)) → max \(compact(loss.peak)) "
          + "(×\(fixed(lossRatio, 2))), grad_cce \(compact(grad.start)) → max "
          + "\(compact(grad.peak)) (×\(fixed(gradRatio, 2))) by step \(early)")
    }
  }
  let ids = looked.map(\.id)
  guard !looked.isEmpty else {
    return ClaimResult(
      number: 4, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "\(candidates.count) DICEFG θ = \(compact(o.balancedTheta)) Adam cells; none with a "
          + "finite step-0 loss_cce and grad_cce."
      ])
  }
  let fraction = Double(spiking) / Double(looked.count)
  let evidence = ["\(spiking) of \(looked.count) cells spike (\(fixed(fraction, 2)))."] + lines
  return ClaimResult(
    number: 4, statement: statement, rule: rule, cellIDs: ids,
    verdict: fraction >= o.majorityFraction ? .supported : .notSupported, evidence: evidence)
}

/// The median of the finite values of the cell's training-loss gradient norm.
private func medianTrainingGradNorm(_ cell: ReportCell) -> Double? {
  guard let values = cell.series.gradNorms[cell.config.loss] else { return nil }
  let finite = values.compactMap { $0 }.filter { $0.isFinite }.map(Double.init).sorted()
  guard !finite.isEmpty else { return nil }
  let mid = finite.count / 2
  return finite.count % 2 == 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2
}

private func claimGradientScale(_ cells: [ReportCell], _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "Gradient norms at 95% foreground (θ = 0.05) were smaller than at 5% foreground (θ = 0.95)."
  let rule =
    "Pairs of cells equal in every parameter but θ, one at θ = \(compact(o.mostlyForegroundTheta)) "
    + "and one at θ = \(compact(o.mostlyBackgroundTheta)). A pair agrees when the median over "
    + "the run of the training loss's gradient norm (finite values) is smaller at θ = "
    + "\(compact(o.mostlyForegroundTheta)). Supported when at least "
    + "\(compact(o.majorityFraction)) of the pairs agree."
  var background: [TrainingConfig: (ReportCell, Double)] = [:]
  for cell in cells where sameTheta(cell.config.theta, o.mostlyBackgroundTheta) {
    guard let m = medianTrainingGradNorm(cell) else { continue }
    var key = cell.config
    key.theta = 0
    if background[key] == nil { background[key] = (cell, m) }
  }
  var pairs: [(fg: ReportCell, fgMedian: Double, bg: ReportCell, bgMedian: Double)] = []
  for cell in cells where sameTheta(cell.config.theta, o.mostlyForegroundTheta) {
    guard let m = medianTrainingGradNorm(cell) else { continue }
    var key = cell.config
    key.theta = 0
    guard let match = background[key] else { continue }
    pairs.append((cell, m, match.0, match.1))
  }
  let ids = pairs.flatMap { [$0.fg.id, $0.bg.id] }.sorted()
  guard !pairs.isEmpty else {
    return ClaimResult(
      number: 5, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "No matched pair of cells at θ = \(compact(o.mostlyForegroundTheta)) and θ = "
          + "\(compact(o.mostlyBackgroundTheta)) with the training loss's gradient norm tracked."
      ])
  }
  let agreeing = pairs.filter { $0.fgMedian < $0.bgMedian }
  let fraction = Double(agreeing.count) / Double(pairs.count)
  var evidence = ["\(agreeing.count) of \(pairs.count) pairs agree (\(fixed(fraction, 2)))."]
  for pair in pairs.prefix(6) {
    evidence.append(
      "\(displayName(pair.fg.config.loss)) \(pair.fg.config.optimizer.rawValue) bn "
        + "\(pair.fg.config.batchNorm ? "on" : "off") seed \(pair.fg.config.seed): median "
        + "\(compact(pair.fgMedian)) (\(pair.fg.shortID)) vs \(compact(pair.bgMedian)) "
        + "(\(pair.bg.shortID))")
  }
  if pairs.count > 6 { evidence.append("… (+\(pairs.count - 6) more pairs)") }
  return ClaimResult(
    number: 5, statement: statement, rule: rule, cellIDs: ids,
    verdict: fraction >= o.majorityFraction ? .supported : .notSupported, evidence: evidence)
}

/// The claims as terminal text: a summary table, then each claim's rule, cells and numbers.
public func claimsTable(_ results: [ClaimResult]) -> String {
  var out = "#  verdict          cells  claim\n"
  for r in results {
    let verdict = r.verdict.rawValue.padding(16)
    let count = String(r.cellIDs.count).leftPadding(5)
    out += "\(r.number)  \(verdict) \(count)  \(r.statement)\n"
  }
  for r in results {
    out += "\nClaim \(r.number): \(r.statement)\n"
    out += "  verdict: \(r.verdict.rawValue)\n"
    out += "  rule:    \(r.rule)\n"
    out += "  cells:   \(r.cellSummary)\n"
    for line in r.evidence { out += "  - \(line)\n" }
  }
  return out
}

extension String {
  fileprivate func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }

  fileprivate func leftPadding(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
