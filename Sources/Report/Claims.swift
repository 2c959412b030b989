// The published study's five conclusions for the toy task, each checked in the setting the post
// describes, against controls where a claim is a difference, with the verdict's robustness to
// every threshold, its spread over seeds and what the same rule finds outside the post's setting.

import TrainingCore

/// Thresholds of the claims check. Every number a verdict depends on is here, with its default;
/// docs/REPORT.md justifies each default from the data.
public struct ClaimOptions: Sendable, Equatable {
  /// Claims 1 and 2: a cell converged when its final validation accuracy is at least this.
  public var convergedAccuracy: Double = 0.98
  /// Claims 1 and 2: "no longer improving" is judged over the last this many steps of the run.
  public var plateauSteps: Int = 2500
  /// Claims 1 and 2: … where the least-squares slope of validation accuracy against step is at
  /// most this, in accuracy per 1,000 steps.
  public var plateauSlope: Double = 0.01
  /// Claim 3: good accuracy closes at least this fraction of the gap between the majority
  /// baseline and 1 (0.5: at least halfway from always predicting the majority class to perfect).
  public var goodGapFraction: Double = 0.5
  /// Claim 4: "the start" is steps 0…`riseSteps`.
  public var riseSteps: Int = 500
  /// Claim 4: loss_cce rose when its maximum over the start is at least this times its step-0 value.
  public var lossRise: Double = 1.25
  /// Claim 4: grad_cce rose when its maximum over the start is at least this times its step-0 value.
  public var gradRise: Double = 8
  /// Claims 4 and 5 hold when at least this fraction of the cells or pairs agree (and, for claim
  /// 4, at most 1 − this fraction of the controls do).
  public var majorityFraction: Double = 0.75
  /// Claim 5: a pair agrees when the median gradient norm at 95% foreground is below this times
  /// the median at 5% foreground.
  public var gradientRatio: Double = 1
  /// The class balance with 95% foreground (claims 2 and 5).
  public var mostlyForegroundTheta: Double = 0.05
  /// The class balance with 5% foreground (claim 5).
  public var mostlyBackgroundTheta: Double = 0.95
  /// The class balance of claim 4 (50% foreground).
  public var balancedTheta: Double = 0.5

  public init() {}
}

/// One threshold of `ClaimOptions` that the robustness view varies: its option name, the values
/// tried, and how to read and set it.
public struct ClaimThreshold: Sendable {
  /// The command-line name, e.g. `converged-accuracy` for `--converged-accuracy`.
  public var name: String
  /// The values the robustness view tries (the current value is added when it is not one).
  public var values: [Double]
  public var value: @Sendable (ClaimOptions) -> Double
  public var set: @Sendable (inout ClaimOptions, Double) -> Void
}

/// The thresholds, with the ranges the robustness view tries, each listed with the claims it
/// affects.
public let claimThresholds: [(threshold: ClaimThreshold, claims: [Int])] = [
  (
    ClaimThreshold(
      name: "converged-accuracy", values: [0.95, 0.96, 0.97, 0.98, 0.99, 0.995],
      value: { $0.convergedAccuracy }, set: { $0.convergedAccuracy = $1 }), [1, 2]
  ),
  (
    ClaimThreshold(
      name: "plateau-slope", values: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
      value: { $0.plateauSlope }, set: { $0.plateauSlope = $1 }), [1, 2]
  ),
  (
    ClaimThreshold(
      name: "good-gap", values: [0.25, 0.5, 0.75, 0.9], value: { $0.goodGapFraction },
      set: { $0.goodGapFraction = $1 }), [3]
  ),
  (
    ClaimThreshold(
      name: "rise-steps", values: [150, 200, 500, 1000],
      value: { Double($0.riseSteps) }, set: { $0.riseSteps = Int($1.rounded()) }), [4]
  ),
  (
    ClaimThreshold(
      name: "loss-rise", values: [1.1, 1.25, 1.5, 2, 3], value: { $0.lossRise },
      set: { $0.lossRise = $1 }), [4]
  ),
  (
    ClaimThreshold(
      name: "grad-rise", values: [3, 5, 8, 11, 15, 25], value: { $0.gradRise },
      set: { $0.gradRise = $1 }), [4]
  ),
  (
    ClaimThreshold(
      name: "gradient-ratio", values: [0.25, 0.5, 0.75, 0.9, 1], value: { $0.gradientRatio },
      set: { $0.gradientRatio = $1 }), [5]
  ),
  (
    ClaimThreshold(
      name: "majority-fraction", values: [0.5, 0.67, 0.75, 0.9, 1],
      value: { $0.majorityFraction }, set: { $0.majorityFraction = $1 }), [4, 5]
  ),
]

/// What the data say about one claim.
public enum ClaimVerdict: String, Sendable, Equatable {
  case supported = "supported"
  case notSupported = "not supported"
  case notEnoughData = "not enough data"

  /// A short form for dense tables.
  public var short: String {
    switch self {
    case .supported: "yes"
    case .notSupported: "no"
    case .notEnoughData: "n/a"
    }
  }
}

/// The verdict of one claim as one threshold varies, the others at their current values.
public struct ThresholdRobustness: Sendable, Equatable {
  public var name: String
  /// The value the verdict above was computed with.
  public var current: Double
  public var points: [(value: Double, verdict: ClaimVerdict)]

  public static func == (a: Self, b: Self) -> Bool {
    a.name == b.name && a.current == b.current && a.points.map(\.value) == b.points.map(\.value)
      && a.points.map(\.verdict) == b.points.map(\.verdict)
  }

  /// Whether the verdict is the same at every value tried.
  public var isStable: Bool { Set(points.map(\.verdict.rawValue)).count <= 1 }
}

/// The outcome of checking one claim.
public struct ClaimResult: Sendable, Equatable {
  /// 1-based claim number, as listed in docs/REPORT.md.
  public var number: Int
  /// The claim as the paper states it.
  public var statement: String
  /// The exact rule applied, setting, controls and thresholds included.
  public var rule: String
  /// Ids of the cells the rule looked at (the post's setting and its controls), sorted.
  public var cellIDs: [String]
  public var verdict: ClaimVerdict
  /// The numbers behind the verdict, one short sentence each.
  public var evidence: [String]
  /// What the same rule finds outside the post's setting: where the effect holds, where it is
  /// absent or reversed.
  public var beyond: [String]
  /// The verdict of the rule on each seed's cells alone, by seed.
  public var seedVerdicts: [(seed: UInt64, verdict: ClaimVerdict)]
  /// The verdict as each threshold the claim depends on varies.
  public var robustness: [ThresholdRobustness]

  public init(
    number: Int, statement: String, rule: String, cellIDs: [String], verdict: ClaimVerdict,
    evidence: [String], beyond: [String] = [],
    seedVerdicts: [(seed: UInt64, verdict: ClaimVerdict)] = [],
    robustness: [ThresholdRobustness] = []
  ) {
    self.number = number
    self.statement = statement
    self.rule = rule
    self.cellIDs = cellIDs
    self.verdict = verdict
    self.evidence = evidence
    self.beyond = beyond
    self.seedVerdicts = seedVerdicts
    self.robustness = robustness
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.number == b.number && a.statement == b.statement && a.rule == b.rule
      && a.cellIDs == b.cellIDs && a.verdict == b.verdict && a.evidence == b.evidence
      && a.beyond == b.beyond && a.seedVerdicts.map(\.seed) == b.seedVerdicts.map(\.seed)
      && a.seedVerdicts.map(\.verdict) == b.seedVerdicts.map(\.verdict)
      && a.robustness == b.robustness
  }

  /// "n cells: id1, id2, … (+k more)" with short ids.
  public var cellSummary: String {
    let shown = cellIDs.prefix(6).map { String($0.prefix(12)) }
    var text = "\(cellIDs.count) cell\(cellIDs.count == 1 ? "" : "s")"
    if !shown.isEmpty { text += ": " + shown.joined(separator: ", ") }
    if cellIDs.count > shown.count { text += ", … (+\(cellIDs.count - shown.count) more)" }
    return text
  }

  /// "3 of 3 seeds agree (seed 1 supported, …)", or "no seed" when there is none.
  public var seedSummary: String {
    guard !seedVerdicts.isEmpty else { return "no seed has the cells the rule needs" }
    let agreeing = seedVerdicts.filter { $0.verdict == verdict }.count
    let each = seedVerdicts.map { "seed \($0.seed) \($0.verdict.rawValue)" }
    return "\(agreeing) of \(seedVerdicts.count) seed\(seedVerdicts.count == 1 ? "" : "s") "
      + "alone give\(seedVerdicts.count == 1 ? "s" : "") the same verdict ("
      + each.joined(separator: ", ") + ")"
  }
}

/// Checks the five published claims against the sweep's cells, each with its robustness to
/// every threshold it uses and its verdict per seed.
public func evaluateClaims(_ input: ReportInput, options: ClaimOptions) -> [ClaimResult] {
  let data = ClaimData(input.cells)
  let rules: [(ClaimData, ClaimOptions) -> ClaimResult] = [
    claimSGD, claimAdamNoBatchNorm, claimBatchNorm, claimEarlyRise, claimGradientScale,
  ]
  return rules.enumerated().map { index, rule in
    var result = rule(data, options)
    let number = index + 1
    result.robustness = claimThresholds.filter { $0.claims.contains(number) }.map { entry in
      let t = entry.threshold
      let current = t.value(options)
      var values = t.values
      if !values.contains(current) { values.append(current) }
      values.sort()
      return ThresholdRobustness(
        name: t.name, current: current,
        points: values.map { v in
          var o = options
          t.set(&o, v)
          return (v, rule(data, o).verdict)
        })
    }
    let seeds = Set(data.cells.filter { result.cellIDs.contains($0.id) }.map(\.config.seed))
    result.seedVerdicts = seeds.sorted().map { seed in
      (seed, rule(data.only(seed: seed), options).verdict)
    }
    return result
  }
}

/// The cells a claim rule reads (missing ones dropped, sorted by id) and the per-cell numbers
/// every evaluation would otherwise recompute.
struct ClaimData {
  var cells: [ReportCell]
  /// Median over the run of each tracked loss's gradient norm, by cell id.
  var medians: [String: [Loss: Double]]

  init(_ all: [ReportCell]) {
    cells = all.filter { $0.status != .missing }.sorted { $0.id < $1.id }
    var medians: [String: [Loss: Double]] = [:]
    for cell in cells {
      var byLoss: [Loss: Double] = [:]
      for (loss, values) in cell.series.gradNorms {
        if let m = median(values) { byLoss[loss] = m }
      }
      medians[cell.id] = byLoss
    }
    self.medians = medians
  }

  private init(cells: [ReportCell], medians: [String: [Loss: Double]]) {
    self.cells = cells
    self.medians = medians
  }

  /// The same data restricted to one seed.
  func only(seed: UInt64) -> ClaimData {
    ClaimData(cells: cells.filter { $0.config.seed == seed }, medians: medians)
  }

  func cells(_ optimizer: OptimizerKind, batchNorm: Bool) -> [ReportCell] {
    cells.filter { $0.config.optimizer == optimizer && $0.config.batchNorm == batchNorm }
  }
}

/// The median of the finite values, if there is one.
func median(_ values: [Float?]) -> Double? {
  let finite = values.compactMap { $0 }.filter { $0.isFinite }.map(Double.init).sorted()
  guard !finite.isEmpty else { return nil }
  let mid = finite.count / 2
  return finite.count % 2 == 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2
}

/// The four (optimizer, batch norm) settings of the grid, the post's own first where it has one.
let gridSettings: [(OptimizerKind, Bool)] = [
  (.adam, false), (.adam, true), (.sgd, false), (.sgd, true),
]

func settingName(_ optimizer: OptimizerKind, _ batchNorm: Bool) -> String {
  "\(displayName(optimizer)), batch norm \(batchNorm ? "on" : "off")"
}

// MARK: Claims 1–3: final accuracy

/// Least-squares slope of validation accuracy against step over the last `steps` steps of the
/// cell's log, in accuracy per 1,000 steps; nil with fewer than two evaluations in the window.
func plateauSlope(_ cell: ReportCell, steps: Int) -> Double? {
  let points = cell.series.accuracy.filter { $0.value.isFinite }
  guard let last = points.last else { return nil }
  let window = points.filter { $0.step >= last.step - steps }
  guard window.count >= 2 else { return nil }
  let n = Double(window.count)
  let meanX = window.map { Double($0.step) }.reduce(0, +) / n
  let meanY = window.map(\.value).reduce(0, +) / n
  var sxy = 0.0
  var sxx = 0.0
  for p in window {
    sxy += (Double(p.step) - meanX) * (p.value - meanY)
    sxx += (Double(p.step) - meanX) * (Double(p.step) - meanX)
  }
  guard sxx > 0 else { return nil }
  return sxy / sxx * 1000
}

/// Converged: status ok, final accuracy at least the bar, and no longer improving.
func converged(_ cell: ReportCell, _ o: ClaimOptions) -> Bool {
  guard cell.status == .ok, let a = cell.finalAccuracy, a >= o.convergedAccuracy,
    let slope = plateauSlope(cell, steps: o.plateauSteps)
  else { return false }
  return slope <= o.plateauSlope
}

private func goodAccuracy(_ cell: ReportCell, _ o: ClaimOptions) -> Bool {
  guard cell.status == .ok, let a = cell.finalAccuracy else { return false }
  let baseline = majorityBaseline(theta: cell.config.theta)
  return a >= baseline + o.goodGapFraction * (1 - baseline)
}

private func convergedText(_ o: ClaimOptions) -> String {
  "Converged = status ok, final validation accuracy ≥ \(compact(o.convergedAccuracy)) and a "
    + "least-squares accuracy slope over the last \(o.plateauSteps) steps ≤ "
    + "\(compact(o.plateauSlope)) per 1,000 steps."
}

/// "DICEFG θ=0.05 bn off adam seed 1 (1a2b3c4d)".
private func describe(_ cell: ReportCell) -> String {
  let c = cell.config
  return "\(displayName(c.loss)) θ=\(compact(c.theta)) bn \(c.batchNorm ? "on" : "off") "
    + "\(c.optimizer.rawValue) seed \(c.seed) (\(cell.shortID))"
}

private func accuracyText(_ cell: ReportCell) -> String {
  cell.finalAccuracy.map { fixed($0, 4) } ?? "none"
}

private func slopeText(_ cell: ReportCell, _ o: ClaimOptions) -> String {
  plateauSlope(cell, steps: o.plateauSteps).map { fixed($0, 4) } ?? "none"
}

private func listed(_ cells: [ReportCell], _ o: ClaimOptions, limit: Int = 5) -> String {
  var parts = cells.prefix(limit).map {
    "\(describe($0)) final accuracy \(accuracyText($0)), slope \(slopeText($0, o))"
  }
  if cells.count > limit { parts.append("… (+\(cells.count - limit) more)") }
  return parts.joined(separator: "; ")
}

/// "a–b" of some values with `decimals` digits, or "a" when they are all the same.
private func span(_ values: [Double], _ decimals: Int) -> String {
  guard let low = values.min(), let high = values.max() else { return "none" }
  let a = fixed(low, decimals)
  let b = fixed(high, decimals)
  return a == b ? a : "\(a)–\(b)"
}

private func thetas(_ cells: [ReportCell]) -> [Double] {
  var out: [Double] = []
  for c in cells where !out.contains(where: { sameTheta($0, c.config.theta) }) {
    out.append(c.config.theta)
  }
  return out.sorted()
}

private func claimSGD(_ data: ClaimData, _ o: ClaimOptions) -> ClaimResult {
  let statement = "With SGD none of the models converged, with or without batch norm."
  let rule =
    "Setting: every SGD cell, batch norm off and on. \(convergedText(o)) Supported when no SGD "
    + "cell converged; needs cells with batch norm off and on. Control: the Adam cells under "
    + "the same rule."
  let looked = data.cells.filter { $0.config.optimizer == .sgd && $0.finalAccuracy != nil }
  let adam = data.cells.filter { $0.config.optimizer == .adam && $0.finalAccuracy != nil }
  let ids = (looked + adam).map(\.id).sorted()
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
  if !convergedCells.isEmpty { evidence.append("Converged: " + listed(convergedCells, o) + ".") }
  if let best = looked.max(by: { ($0.finalAccuracy ?? 0) < ($1.finalAccuracy ?? 0) }) {
    evidence.append("Best SGD cell: \(describe(best)) final accuracy \(accuracyText(best)).")
  }
  if !adam.isEmpty {
    let adamConverged = adam.filter { converged($0, o) }
    var line = "Control: \(adamConverged.count) of \(adam.count) Adam cells converged"
    if let worst = adamConverged.min(by: { ($0.finalAccuracy ?? 0) < ($1.finalAccuracy ?? 0) }) {
      line += "; the worst of them ends at \(accuracyText(worst))"
    }
    evidence.append(line + ".")
  }
  var beyond: [String] = []
  let climbing = looked.filter {
    (plateauSlope($0, steps: o.plateauSteps) ?? 0) > o.plateauSlope
  }
  beyond.append(
    "Still improving (slope > \(compact(o.plateauSlope)) per 1,000 steps over the last "
      + "\(o.plateauSteps) steps): \(climbing.count) of \(looked.count) SGD cells"
      + (climbing.isEmpty
        ? "."
        : ", "
          + thetas(climbing).map { t in
            "\(climbing.filter { sameTheta($0.config.theta, t) }.count) at θ = \(compact(t))"
          }.joined(separator: ", ")
          + ": they had not converged by the end of the run and might with more steps."))
  // Why no rule relative to the baseline can tell SGD from Adam: compare the share of the
  // baseline's error each removed.
  let removed: (ReportCell) -> Double = { c in
    let b = majorityBaseline(theta: c.config.theta)
    return ((c.finalAccuracy ?? b) - b) / (1 - b) * 100
  }
  for t in thetas(looked) {
    let at = looked.filter { sameTheta($0.config.theta, t) }
    let adamAt = adam.filter { sameTheta($0.config.theta, t) && converged($0, o) }
    var line =
      "θ = \(compact(t)): SGD final accuracy \(span(at.compactMap(\.finalAccuracy), 3)) "
      + "(baseline \(fixed(majorityBaseline(theta: t), 3))); the best SGD cell removed "
      + "\(fixed(at.map(removed).max() ?? 0, 0))% of the baseline's error"
    line +=
      adamAt.isEmpty
      ? ", no Adam cell converged here."
      : ", the converged Adam cells \(span(adamAt.map(removed), 0))%."
    beyond.append(line)
  }
  return ClaimResult(
    number: 1, statement: statement, rule: rule, cellIDs: ids,
    verdict: convergedCells.isEmpty ? .supported : .notSupported, evidence: evidence,
    beyond: beyond)
}

private func claimAdamNoBatchNorm(_ data: ClaimData, _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "With Adam and without batch norm all models converged except the one trained with "
    + "DICEFG at 95% foreground (θ = 0.05)."
  let rule =
    "Setting: Adam, batch norm off. \(convergedText(o)) Supported when every DICEFG cell at "
    + "θ = \(compact(o.mostlyForegroundTheta)) did not converge and every other cell did; needs "
    + "at least one of each."
  let isException: (ReportCell) -> Bool = {
    $0.config.loss == .dicefg && sameTheta($0.config.theta, o.mostlyForegroundTheta)
  }
  func split(_ cells: [ReportCell]) -> (exceptions: [ReportCell], others: [ReportCell]) {
    let withAccuracy = cells.filter { $0.finalAccuracy != nil }
    return (withAccuracy.filter(isException), withAccuracy.filter { !isException($0) })
  }
  let (exceptions, others) = split(data.cells(.adam, batchNorm: false))
  let ids = (exceptions + others).map(\.id).sorted()
  var beyond: [String] = []
  for (optimizer, batchNorm) in gridSettings.dropFirst() {
    let (e, rest) = split(data.cells(optimizer, batchNorm: batchNorm))
    guard !(e.isEmpty && rest.isEmpty) else { continue }
    beyond.append(
      "\(settingName(optimizer, batchNorm)): \(rest.filter { converged($0, o) }.count) of "
        + "\(rest.count) other cells converged; DICEFG θ = \(compact(o.mostlyForegroundTheta)): "
        + "\(e.filter { converged($0, o) }.count) of \(e.count) (final accuracy "
        + "\(span(e.compactMap(\.finalAccuracy), 3)))."
    )
  }
  guard !exceptions.isEmpty, !others.isEmpty else {
    return ClaimResult(
      number: 2, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "Adam, batch norm off cells with an accuracy: \(exceptions.count) DICEFG at "
          + "θ = \(compact(o.mostlyForegroundTheta)), \(others.count) others."
      ], beyond: beyond)
  }
  let failedOthers = others.filter { !converged($0, o) }
  let convergedExceptions = exceptions.filter { converged($0, o) }
  var evidence = [
    "\(others.count - failedOthers.count) of \(others.count) other cells converged "
      + "(final accuracy \(span(others.compactMap(\.finalAccuracy), 4))); "
      + "\(convergedExceptions.count) of \(exceptions.count) DICEFG θ = "
      + "\(compact(o.mostlyForegroundTheta)) cells converged."
  ]
  if !failedOthers.isEmpty {
    evidence.append("Did not converge: " + listed(failedOthers, o) + ".")
  }
  evidence.append(
    "DICEFG θ = \(compact(o.mostlyForegroundTheta)): " + listed(exceptions, o) + ".")
  let holds = failedOthers.isEmpty && convergedExceptions.isEmpty
  return ClaimResult(
    number: 2, statement: statement, rule: rule, cellIDs: ids,
    verdict: holds ? .supported : .notSupported, evidence: evidence, beyond: beyond)
}

private func claimBatchNorm(_ data: ClaimData, _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "With batch norm (Adam) every model reached good accuracy at every class balance, "
    + "whatever the loss."
  let rule =
    "Setting: Adam, batch norm on. Good accuracy = status ok and final validation accuracy ≥ "
    + "b + \(compact(o.goodGapFraction))·(1 − b), b = max(θ, 1−θ). Supported when every such "
    + "cell is good; needs at least two class balances."
  let looked = data.cells(.adam, batchNorm: true)
  let ids = looked.map(\.id)
  var beyond: [String] = []
  for (optimizer, batchNorm) in gridSettings where !(optimizer == .adam && batchNorm) {
    let cells = data.cells(optimizer, batchNorm: batchNorm)
    guard !cells.isEmpty else { continue }
    let good = cells.filter { goodAccuracy($0, o) }
    var line = "\(settingName(optimizer, batchNorm)): \(good.count) of \(cells.count) cells good"
    let bad = thetas(cells.filter { !goodAccuracy($0, o) })
    if !bad.isEmpty { line += "; not good at θ = " + bad.map(compact).joined(separator: ", ") }
    beyond.append(line + ".")
  }
  let balances = thetas(looked)
  guard balances.count >= 2 else {
    return ClaimResult(
      number: 3, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "Adam, batch norm on: \(looked.count) cells at \(balances.count) class balance(s)."
      ], beyond: beyond)
  }
  let bad = looked.filter { !goodAccuracy($0, o) }
  var evidence = [
    "\(looked.count - bad.count) of \(looked.count) cells good, at θ = "
      + balances.map(compact).joined(separator: ", ") + "."
  ]
  if !bad.isEmpty { evidence.append("Not good: " + listed(bad, o) + ".") }
  let closed: (ReportCell) -> Double = { c in
    let b = majorityBaseline(theta: c.config.theta)
    return ((c.finalAccuracy ?? b) - b) / (1 - b)
  }
  if let worst = looked.min(by: { closed($0) < closed($1) }) {
    evidence.append(
      "Smallest share of the gap to 1 closed: \(describe(worst)) \(fixed(closed(worst), 3)) "
        + "(final accuracy \(accuracyText(worst))).")
  }
  return ClaimResult(
    number: 3, statement: statement, rule: rule, cellIDs: ids,
    verdict: bad.isEmpty ? .supported : .notSupported, evidence: evidence, beyond: beyond)
}

// MARK: Claim 4: the early rise of CCE under DICEFG

/// How far loss_cce and grad_cce rose over steps 0…`steps` relative to step 0.
struct EarlyRise {
  var lossRatio: Double
  var gradRatio: Double
  /// The step of grad_cce's maximum.
  var peakStep: Int
}

/// The early rise of a cell's CCE loss and gradient norm, if both are tracked with a finite,
/// positive step-0 value.
func earlyRise(_ cell: ReportCell, steps: Int) -> EarlyRise? {
  let s = cell.series
  guard s.steps.first == 0, let loss = s.losses[.cce], let grad = s.gradNorms[.cce],
    let loss0 = loss.first ?? nil, let grad0 = grad.first ?? nil, loss0.isFinite, grad0.isFinite,
    loss0 > 0, grad0 > 0
  else { return nil }
  var lossPeak = Double(loss0)
  var gradPeak = Double(grad0)
  var peakStep = 0
  for (i, step) in s.steps.enumerated() where step <= steps {
    if i < loss.count, let v = loss[i], v.isFinite { lossPeak = max(lossPeak, Double(v)) }
    if i < grad.count, let v = grad[i], v.isFinite, Double(v) > gradPeak {
      gradPeak = Double(v)
      peakStep = step
    }
  }
  return EarlyRise(
    lossRatio: lossPeak / Double(loss0), gradRatio: gradPeak / Double(grad0), peakStep: peakStep)
}

private func didRise(_ r: EarlyRise, _ o: ClaimOptions) -> Bool {
  r.lossRatio >= o.lossRise && r.gradRatio >= o.gradRise
}

/// "k of n rise (loss_cce ×a–b, grad_cce ×c–d)" for some cells' rises.
private func riseSummary(_ rises: [EarlyRise], _ o: ClaimOptions, noun: String) -> String {
  let k = rises.filter { didRise($0, o) }.count
  return "\(k) of \(rises.count) \(noun) rise (loss_cce ×\(span(rises.map(\.lossRatio), 2)), "
    + "grad_cce ×\(span(rises.map(\.gradRatio), 1)))"
}

private func claimEarlyRise(_ data: ClaimData, _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "Training with DICEFG at 50% foreground (θ = 0.5), the CCE loss and its gradient norm "
    + "shot up at the start."
  let rule =
    "Setting: Adam, batch norm off, trained with DICEFG at θ = \(compact(o.balancedTheta)), CCE "
    + "tracked. Controls: the same setting trained with any other loss. A cell rises when over "
    + "steps 0…\(o.riseSteps) the maximum of loss_cce is ≥ \(compact(o.lossRise))× and that of "
    + "grad_cce ≥ \(compact(o.gradRise))× their step-0 values. Supported when at least "
    + "\(compact(o.majorityFraction)) of the DICEFG cells rise and at most "
    + "\(compact(1 - o.majorityFraction)) of the controls do."
  let setting = data.cells(.adam, batchNorm: false).filter {
    sameTheta($0.config.theta, o.balancedTheta)
  }
  var post: [(ReportCell, EarlyRise)] = []
  var controls: [(ReportCell, EarlyRise)] = []
  for cell in setting {
    guard let r = earlyRise(cell, steps: o.riseSteps) else { continue }
    if cell.config.loss == .dicefg { post.append((cell, r)) } else { controls.append((cell, r)) }
  }
  let ids = (post + controls).map(\.0.id).sorted()
  var beyond: [String] = []
  func beyondLine(_ name: String, _ cells: [ReportCell]) {
    let r = cells.compactMap { earlyRise($0, steps: o.riseSteps) }
    guard !r.isEmpty else { return }
    let fraction = Double(r.filter { didRise($0, o) }.count) / Double(r.count)
    let word = fraction >= o.majorityFraction ? "holds" : fraction > 0 ? "partly" : "absent"
    beyond.append("\(name): \(word), " + riseSummary(r, o, noun: "cells") + ".")
  }
  for (optimizer, batchNorm) in gridSettings.dropFirst() {
    beyondLine(
      "DICEFG θ = \(compact(o.balancedTheta)), \(settingName(optimizer, batchNorm))",
      data.cells(optimizer, batchNorm: batchNorm).filter {
        $0.config.loss == .dicefg && sameTheta($0.config.theta, o.balancedTheta)
      })
  }
  for t in thetas(data.cells(.adam, batchNorm: false)) where !sameTheta(t, o.balancedTheta) {
    beyondLine(
      "DICEFG θ = \(compact(t)), Adam, batch norm off",
      data.cells(.adam, batchNorm: false).filter {
        $0.config.loss == .dicefg && sameTheta($0.config.theta, t)
      })
  }
  guard !post.isEmpty, !controls.isEmpty else {
    return ClaimResult(
      number: 4, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "Adam, batch norm off, θ = \(compact(o.balancedTheta)) with loss_cce and grad_cce "
          + "tracked: \(post.count) DICEFG cells, \(controls.count) control cells."
      ], beyond: beyond)
  }
  let postFraction = Double(post.filter { didRise($0.1, o) }.count) / Double(post.count)
  let controlFraction =
    Double(controls.filter { didRise($0.1, o) }.count) / Double(controls.count)
  var evidence = [
    "DICEFG: " + riseSummary(post.map(\.1), o, noun: "cells")
      + ", grad_cce peaking at step \(span(post.map { Double($0.1.peakStep) }, 0)).",
    "Controls: " + riseSummary(controls.map(\.1), o, noun: "cells") + ".",
  ]
  for (cell, r) in post.prefix(6) {
    evidence.append(
      "\(describe(cell)): loss_cce ×\(fixed(r.lossRatio, 2)), grad_cce ×\(fixed(r.gradRatio, 1)) "
        + "(peak at step \(r.peakStep)).")
  }
  let holds = postFraction >= o.majorityFraction && controlFraction <= 1 - o.majorityFraction
  return ClaimResult(
    number: 4, statement: statement, rule: rule, cellIDs: ids,
    verdict: holds ? .supported : .notSupported, evidence: evidence, beyond: beyond)
}

// MARK: Claim 5: gradient norms at 95% vs 5% foreground

/// A cell at θ = 0.05 and the cell equal to it in every other parameter at θ = 0.95.
struct GradientPair {
  var foreground: ReportCell
  var background: ReportCell
  /// Median over the run of the training loss's gradient norm, at θ = 0.05 and at θ = 0.95.
  var foregroundMedian: Double
  var backgroundMedian: Double
  /// For every loss tracked in both: (median at 0.05, median at 0.95).
  var tracked: [Loss: (Double, Double)]

  var ratio: Double { foregroundMedian / backgroundMedian }
}

func gradientPairs(_ data: ClaimData, _ o: ClaimOptions) -> [GradientPair] {
  var background: [TrainingConfig: ReportCell] = [:]
  for cell in data.cells where sameTheta(cell.config.theta, o.mostlyBackgroundTheta) {
    var key = cell.config
    key.theta = 0
    if background[key] == nil { background[key] = cell }
  }
  var pairs: [GradientPair] = []
  for cell in data.cells where sameTheta(cell.config.theta, o.mostlyForegroundTheta) {
    var key = cell.config
    key.theta = 0
    guard let match = background[key], let fg = data.medians[cell.id],
      let bg = data.medians[match.id], let f = fg[cell.config.loss], let b = bg[cell.config.loss],
      b > 0
    else { continue }
    var tracked: [Loss: (Double, Double)] = [:]
    for (loss, value) in fg {
      if let other = bg[loss] { tracked[loss] = (value, other) }
    }
    pairs.append(
      GradientPair(
        foreground: cell, background: match, foregroundMedian: f, backgroundMedian: b,
        tracked: tracked))
  }
  return pairs
}

private func agrees(_ p: GradientPair, _ o: ClaimOptions) -> Bool { p.ratio < o.gradientRatio }

private func claimGradientScale(_ data: ClaimData, _ o: ClaimOptions) -> ClaimResult {
  let statement =
    "Gradient norms at 95% foreground (θ = 0.05) were smaller than at 5% foreground (θ = 0.95)."
  let rule =
    "Setting: Adam, batch norm off. Pairs of cells equal in every parameter but θ, one at θ = "
    + "\(compact(o.mostlyForegroundTheta)) and one at θ = \(compact(o.mostlyBackgroundTheta)). A "
    + "pair agrees when the median over the run of the training loss's gradient norm at θ = "
    + "\(compact(o.mostlyForegroundTheta)) is < \(compact(o.gradientRatio))× the one at θ = "
    + "\(compact(o.mostlyBackgroundTheta)). Supported when at least "
    + "\(compact(o.majorityFraction)) of the pairs agree."
  let all = gradientPairs(data, o)
  func inSetting(_ optimizer: OptimizerKind, _ batchNorm: Bool) -> [GradientPair] {
    all.filter {
      $0.foreground.config.optimizer == optimizer && $0.foreground.config.batchNorm == batchNorm
    }
  }
  func word(_ fraction: Double) -> String {
    fraction >= o.majorityFraction
      ? "holds" : fraction <= 1 - o.majorityFraction ? "reversed" : "weak"
  }
  var beyond: [String] = []
  for (optimizer, batchNorm) in gridSettings.dropFirst() {
    let pairs = inSetting(optimizer, batchNorm)
    guard !pairs.isEmpty else { continue }
    let k = pairs.filter { agrees($0, o) }.count
    let fraction = Double(k) / Double(pairs.count)
    var line =
      "\(settingName(optimizer, batchNorm)): \(word(fraction)), \(k) of \(pairs.count) pairs "
      + "agree"
    var reversed: [String] = []
    for loss in Loss.allCases {
      let ofLoss = pairs.filter { $0.foreground.config.loss == loss }
      guard !ofLoss.isEmpty else { continue }
      let agreeing = ofLoss.filter { agrees($0, o) }.count
      if Double(agreeing) / Double(ofLoss.count) <= 1 - o.majorityFraction {
        reversed.append(
          "\(displayName(loss)) (\(agreeing) of \(ofLoss.count), ratio "
            + "×\(span(ofLoss.map(\.ratio), 2)))")
      }
    }
    if !reversed.isEmpty { line += "; reversed for " + reversed.joined(separator: ", ") }
    beyond.append(line + ".")
  }
  let pairs = inSetting(.adam, false)
  let ids = pairs.flatMap { [$0.foreground.id, $0.background.id] }.sorted()
  guard !pairs.isEmpty else {
    return ClaimResult(
      number: 5, statement: statement, rule: rule, cellIDs: ids, verdict: .notEnoughData,
      evidence: [
        "No matched Adam, batch norm off pair at θ = \(compact(o.mostlyForegroundTheta)) and θ = "
          + "\(compact(o.mostlyBackgroundTheta)) with the training loss's gradient norm tracked."
      ], beyond: beyond)
  }
  let agreeing = pairs.filter { agrees($0, o) }
  let fraction = Double(agreeing.count) / Double(pairs.count)
  let norms = pairs.flatMap { $0.tracked.values }
  let normsAgreeing = norms.filter { $0.0 < o.gradientRatio * $0.1 }.count
  var evidence = [
    "\(agreeing.count) of \(pairs.count) pairs agree (\(fixed(fraction, 2))); median ratio "
      + "θ = \(compact(o.mostlyForegroundTheta)) / θ = \(compact(o.mostlyBackgroundTheta)) "
      + "×\(span(pairs.map(\.ratio), 2)).",
    "Over every tracked gradient norm of the same pairs: \(normsAgreeing) of \(norms.count) agree.",
  ]
  for loss in Loss.allCases {
    let ofLoss = pairs.filter { $0.foreground.config.loss == loss }
    guard !ofLoss.isEmpty else { continue }
    evidence.append(
      "\(displayName(loss)): \(ofLoss.filter { agrees($0, o) }.count) of \(ofLoss.count) pairs "
        + "agree, ratio ×\(span(ofLoss.map(\.ratio), 2)).")
  }
  return ClaimResult(
    number: 5, statement: statement, rule: rule, cellIDs: ids,
    verdict: fraction >= o.majorityFraction ? .supported : .notSupported, evidence: evidence,
    beyond: beyond)
}

// MARK: Text

/// "0.95 no · 0.96 yes · 0.98* yes": the verdict at each value tried, `*` on the current one.
func robustnessLine(_ r: ThresholdRobustness) -> String {
  r.points.map { p in
    compact(p.value) + (p.value == r.current ? "*" : "") + " " + p.verdict.short
  }.joined(separator: " · ")
}

/// The claims as terminal text: a summary table, then each claim's rule, cells, numbers, seed
/// spread, robustness to each threshold and what lies beyond the post's setting.
public func claimsTable(_ results: [ClaimResult]) -> String {
  var out = "#  verdict          cells  seeds  robust  claim\n"
  for r in results {
    let verdict = r.verdict.rawValue.padding(16)
    let count = String(r.cellIDs.count).leftPadding(5)
    let agreeing = r.seedVerdicts.filter { $0.verdict == r.verdict }.count
    let seeds = "\(agreeing)/\(r.seedVerdicts.count)".padding(5)
    let robust = (r.robustness.allSatisfy(\.isStable) ? "yes" : "no").padding(6)
    out += "\(r.number)  \(verdict) \(count)  \(seeds)  \(robust)  \(r.statement)\n"
  }
  for r in results {
    out += "\nClaim \(r.number): \(r.statement)\n"
    out += "  verdict: \(r.verdict.rawValue)\n"
    out += "  rule:    \(r.rule)\n"
    out += "  cells:   \(r.cellSummary)\n"
    out += "  seeds:   \(r.seedSummary)\n"
    for line in r.evidence { out += "  - \(line)\n" }
    if !r.robustness.isEmpty {
      out += "  robustness (verdict as one threshold varies, * = value used):\n"
      let width = r.robustness.map(\.name.count).max() ?? 0
      for t in r.robustness {
        out += "    --\(t.name.padding(width))  \(robustnessLine(t))\n"
      }
    }
    if !r.beyond.isEmpty {
      out += "  beyond the post:\n"
      for line in r.beyond { out += "    - \(line)\n" }
    }
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
