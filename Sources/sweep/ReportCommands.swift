// `sweep report` and `sweep claims`: figures, tables and the paper's claims checked.
import ArgumentParser
import Artifacts
import Foundation
import Report

/// The defaults the help texts show; they live in `ClaimOptions` only.
private let defaults = ClaimOptions()

/// Every threshold of the claims check as an option.
struct ClaimThresholds: ParsableArguments {
  @Option(
    help:
      "Claims 1, 2: converged means a final validation accuracy at least this (default: \(defaults.convergedAccuracy))."
  )
  var convergedAccuracy: Double?
  @Option(
    help:
      "Claims 1, 2: judge \"no longer improving\" over the last this many steps (default: \(defaults.plateauSteps))."
  )
  var plateauSteps: Int?
  @Option(
    help:
      "Claims 1, 2: no longer improving means an accuracy slope at most this per 1,000 steps (default: \(defaults.plateauSlope))."
  )
  var plateauSlope: Double?
  @Option(
    help:
      "Claim 3: good accuracy closes at least this fraction of the gap between the baseline and 1 (default: \(defaults.goodGapFraction))."
  )
  var goodGap: Double?
  @Option(help: "Claim 4: the start of a run is steps 0 to this (default: \(defaults.riseSteps)).")
  var riseSteps: Int?
  @Option(
    help:
      "Claim 4: loss_cce rose when its early maximum is at least this × step 0 (default: \(defaults.lossRise))."
  )
  var lossRise: Double?
  @Option(
    help:
      "Claim 4: grad_cce rose when its early maximum is at least this × step 0 (default: \(defaults.gradRise))."
  )
  var gradRise: Double?
  @Option(
    help:
      "Claim 5: a pair agrees when the median at 95% foreground is below this × that at 5% (default: \(defaults.gradientRatio))."
  )
  var gradientRatio: Double?
  @Option(
    help:
      "Claims 4, 5 hold when at least this fraction of cells or pairs agree (default: \(defaults.majorityFraction))."
  )
  var majorityFraction: Double?

  func validate() throws {
    for (name, value) in [
      ("converged-accuracy", convergedAccuracy), ("good-gap", goodGap),
      ("majority-fraction", majorityFraction),
    ] {
      if let value, !(0...1).contains(value) {
        throw ValidationError("--\(name) must be between 0 and 1, got \(value)")
      }
    }
    for (name, value) in [
      ("plateau-slope", plateauSlope), ("loss-rise", lossRise), ("grad-rise", gradRise),
      ("gradient-ratio", gradientRatio),
    ] {
      if let value, !(value.isFinite && value > 0) {
        throw ValidationError("--\(name) must be a positive number, got \(value)")
      }
    }
    for (name, value) in [("plateau-steps", plateauSteps), ("rise-steps", riseSteps)] {
      if let value, value < 1 {
        throw ValidationError("--\(name) must be at least 1, got \(value)")
      }
    }
  }

  func apply(to options: inout ClaimOptions) {
    if let convergedAccuracy { options.convergedAccuracy = convergedAccuracy }
    if let plateauSteps { options.plateauSteps = plateauSteps }
    if let plateauSlope { options.plateauSlope = plateauSlope }
    if let goodGap { options.goodGapFraction = goodGap }
    if let riseSteps { options.riseSteps = riseSteps }
    if let lossRise { options.lossRise = lossRise }
    if let gradRise { options.gradRise = gradRise }
    if let gradientRatio { options.gradientRatio = gradientRatio }
    if let majorityFraction { options.majorityFraction = majorityFraction }
  }
}

struct MakeReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract:
      "Write DIR/report/index.html, one evidence SVG per claim and one SVG per figure (no network, no JavaScript)."
  )

  @Argument(help: "The sweep directory (e.g. results/paper).") var directory: String
  @Option(
    help:
      "The spec (key or prefix under DIR/manifests/) to report on; writes DIR/report/KEY/. Default: the latest."
  )
  var spec: String?
  @Option(help: "Moving-average window over each curve (1 = none).") var smooth = 1
  @Option(help: "At most this many points per line; longer runs get min/max envelopes.")
  var maxPoints = 2000
  @OptionGroup var thresholds: ClaimThresholds

  func validate() throws {
    try checkFlag("--smooth", smooth, in: FlagRange.smooth)
    try checkFlag("--max-points", maxPoints, in: FlagRange.maxPoints)
  }

  func run() throws {
    var options = ReportOptions()
    options.smooth = smooth
    options.maxPoints = maxPoints
    thresholds.apply(to: &options.claims)
    let input = try loadWithProgress(directory, spec: spec)
    let key = try spec.map { try SpecManifests.spec(in: directory, prefix: $0).key }
    let output = SweepDirectory(directory).report(key: key)
    try writeReport(input, options: options, to: output)
    print("wrote \(output)/index.html")
  }
}

struct Claims: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract:
      "Check the published study's claims against a sweep: verdicts, seed spread, robustness to each threshold, and what holds beyond the post's setting."
  )

  @Argument(help: "The sweep directory (e.g. results/paper).") var directory: String
  @Option(help: "The spec (key or prefix under DIR/manifests/) to check; default: the latest.")
  var spec: String?
  @OptionGroup var thresholds: ClaimThresholds

  func run() throws {
    var options = ClaimOptions()
    thresholds.apply(to: &options)
    let input = try loadWithProgress(directory, spec: spec)
    print(claimsTable(evaluateClaims(input, options: options)), terminator: "")
  }
}

/// The report input of a sweep directory (or of one of its specs), with a progress line while
/// the step logs are read.
func loadWithProgress(_ directory: String, spec: String?) throws -> ReportInput {
  let path = try spec.map { try SpecManifests.path(in: directory, spec: $0) } ?? directory
  let progress = ProgressLine("reading step logs")
  defer { progress.finish() }
  return try loadReportInput(sweepDirectory: path, progress: progress.callback)
}
