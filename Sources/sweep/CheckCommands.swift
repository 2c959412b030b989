// `sweep rerun`, `sweep verify` and `sweep diff`: the verbs that make results checkable.
import ArgumentParser
import Artifacts
import Foundation
import Orchestrator
import SweepSpec

struct Rerun: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Recompute one cell from its manifest and compare it with the stored step log.",
    discussion: "Exit 0 when reproduced bit-for-bit, 1 when different, 2 on error.")

  @Argument(help: "The cell id or a unique prefix (at least 4 hex characters).") var id: String
  @Option(
    help:
      "A results root (every sweep under it) or one sweep directory (results/<name>); default: results."
  )
  var results: String?
  @Flag(help: "Replace the stored artifacts with the recomputed ones.") var replace = false

  func run() throws {
    let directories = try rerunDirectories(results: results ?? "results")
    let located = try locateCell(id, in: directories)
    let outcome = try rerunCell(located.id, sweepDirectory: located.directory, replace: replace)
    let short = located.id.short
    if let why = outcome.unreadableLog {
      print("cell \(short) (\(located.directory)): the stored step log is unreadable: \(why)")
      print("gzip sha256 on disk        \(outcome.diskGzipSHA256 ?? "(no file)")")
      print("gzip sha256 in manifest    \(outcome.manifestGzipSHA256)")
      print("recomputed content sha256  \(outcome.newContentSHA256)")
    } else if let comparison = outcome.comparison, !comparison.identical {
      print("cell \(short) (\(located.directory)): DIFFERENT from the stored step log")
      print(comparison.description)
      print("stored content sha256     \(outcome.storedContentSHA256)")
      print("recomputed content sha256 \(outcome.newContentSHA256)")
    } else if !outcome.manifestProblems.isEmpty {
      print(
        "cell \(short) (\(located.directory)): the step log reproduces bit-for-bit, "
          + "but its manifest is wrong:")
    } else {
      print("cell \(short) (\(located.directory)): reproduced bit-for-bit")
      print("content sha256 \(outcome.storedContentSHA256)")
    }
    if !outcome.manifestProblems.isEmpty {
      if outcome.comparison?.identical != true { print("the manifest is wrong too:") }
      for problem in outcome.manifestProblems { print("  \(problem)") }
    }
    print(envelopeVerdict(outcome), terminator: "")
    if replace { printError("replaced the stored artifacts of \(short)") }
    if !outcome.reproduced { throw ExitCode.failure }
  }
}

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check every cell's files against its manifest and the sweep manifest.",
    discussion: "One line per problem and a count; exit 1 if any.")

  @Argument(help: "The sweep directory (e.g. results/paper).") var directory: String

  func run() throws {
    guard
      FileManager.default.fileExists(atPath: SweepDirectory(directory).cells)
        || FileManager.default.fileExists(atPath: SweepDirectory(directory).sweepManifest)
    else { throw OrchestratorError.notASweepDirectory(directory) }
    let progress = ProgressLine("checking cell files")
    let problems = verifySweep(directory: directory, progress: progress.callback)
    progress.finish()
    if let specs = SpecManifests.listing(in: directory) { print(specs, terminator: "") }
    print(envelopeCountText(envelopeCounts(in: SweepDirectory(directory))), terminator: "")
    for problem in problems { print(problem) }
    print(
      problems.isEmpty
        ? "verified: no problems" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")")
    if !problems.isEmpty { throw ExitCode.failure }
  }
}

struct Diff: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compare two sweep manifests or result directories (run sections ignored).",
    discussion: """
      Cells are matched by id; cells only in A or only in B are paired by their config minus \
      the keys that changed. Two numbers are the same when |a − b| ≤ atol + rtol·|b| \
      (numpy.isclose). Exit 0 when the same, 1 when different, 2 on error.
      """)

  @Argument(help: "Manifest or sweep directory A.") var a: String
  @Argument(help: "Manifest or sweep directory B.") var b: String
  @Option(
    help: ArgumentHelp(
      "Absolute tolerance: a number for every metric, or metric=number (repeatable), e.g. final_accuracy=1e-3.",
      valueName: "x|metric=x"))
  var tolerance: [String] = []
  @Option(help: ArgumentHelp("Same as --tolerance.", valueName: "x|metric=x"))
  var atol: [String] = []
  @Option(
    help: ArgumentHelp(
      "Relative tolerance (of B's value), for every metric or metric=number.",
      valueName: "x|metric=x"))
  var rtol: [String] = []
  @Flag(help: "Also compare the step logs of cells with the same id, record by record.")
  var logs = false
  @Option(help: "Show at most this many rows.") var limit: Int?
  @Flag(help: "Print a machine-readable JSON document.") var json = false

  func validate() throws {
    do {
      _ = try Tolerance.parse(atol: atol, rtol: rtol, tolerance: tolerance)
    } catch {
      throw ValidationError(error.description)
    }
    try checkFlag("--limit", limit, in: FlagRange.rows)
  }

  func run() throws {
    let bounds = try Tolerance.parse(atol: atol, rtol: rtol, tolerance: tolerance)
    let left = try SweepManifest.load(path: a)
    let right = try SweepManifest.load(path: b)
    let diff = ManifestDiff.compare(left, right, tolerance: bounds)
    var logDiff: LogDiff?
    if logs {
      let progress = ProgressLine("comparing step logs")
      logDiff = LogDiff.compare(
        left, directoryA: try sweepDirectoryWithCells(a), right,
        directoryB: try sweepDirectoryWithCells(b), tolerance: bounds,
        progress: progress.callback)
      progress.finish()
    }
    if json {
      var document = diff.json
      if let logDiff, case .object(var members) = document {
        members["logs"] = logDiff.json
        document = .object(members)
      }
      print(document.prettyText, terminator: "")
    } else {
      print(diff.table(limit: limit), terminator: "")
      if let logDiff { print("\n" + logDiff.text, terminator: "") }
    }
    if !diff.isEmpty || logDiff?.isEmpty == false { throw ExitCode.failure }
  }
}

/// The sweep directory a manifest path belongs to, which must hold `cells/`.
func sweepDirectoryWithCells(_ path: String) throws -> String {
  let directory = sweepDirectory(ofManifestPath: path)
  guard FileManager.default.fileExists(atPath: SweepDirectory(directory).cells) else {
    throw OrchestratorError.notASweepDirectory(directory)
  }
  return directory
}
