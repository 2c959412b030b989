// `sweep report` and `sweep claims`: figures, tables and the paper's claims checked.
import ArgumentParser
import Artifacts
import Foundation
import Report

struct ClaimThresholds: ParsableArguments {
  @Option(help: "Converged: final accuracy at least this far above the majority-class baseline.")
  var margin: Double?
  @Option(
    help:
      "Good accuracy: final accuracy closes at least this fraction of the gap between the baseline and 1."
  )
  var goodGap: Double?
  @Option(help: "Claim 4: early window, as a fraction of the run's iterations.")
  var earlyFraction: Double?
  @Option(help: "Claim 4: an early maximum at least this times the step-0 value is a spike.")
  var spikeFactor: Double?
  @Option(help: "Claims 4 and 5 hold when they hold for at least this fraction of cells or pairs.")
  var majorityFraction: Double?

  func apply(to options: inout ClaimOptions) {
    if let margin { options.margin = margin }
    if let goodGap { options.goodGapFraction = goodGap }
    if let earlyFraction { options.earlyFraction = earlyFraction }
    if let spikeFactor { options.spikeFactor = spikeFactor }
    if let majorityFraction { options.majorityFraction = majorityFraction }
  }
}

struct MakeReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write DIR/report/index.html and one SVG per figure (no network, no JavaScript).")

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
    guard smooth >= 1 else { throw ValidationError("--smooth must be at least 1") }
    guard maxPoints >= 10 else { throw ValidationError("--max-points must be at least 10") }
  }

  func run() throws {
    var options = ReportOptions()
    options.smooth = smooth
    options.maxPoints = maxPoints
    thresholds.apply(to: &options.claims)
    let input = try loadWithProgress(directory, spec: spec)
    let key = try spec.map { try SpecManifests.spec(in: directory, prefix: $0).key }
    let output = "\(directory)/report" + (key.map { "/\($0)" } ?? "")
    try writeReport(input, options: options, to: output)
    print("wrote \(output)/index.html")
  }
}

struct Claims: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check the published study's claims against a sweep's results.")

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
