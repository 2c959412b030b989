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
      "A sweep directory (results/<name>) or a results root; default: every sweep under results/."
  )
  var results: String?
  @Flag(help: "Replace the stored artifacts with the recomputed ones.") var replace = false

  func run() throws {
    let directories = try rerunDirectories(results: results ?? "results")
    let located = try locateCell(id, in: directories)
    let outcome = try rerunCell(
      hex: located.hex, sweepDirectory: located.directory, replace: replace)
    let short = String(located.hex.prefix(12))
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
      FileManager.default.fileExists(atPath: "\(directory)/cells")
        || FileManager.default.fileExists(atPath: "\(directory)/manifest.json")
    else { throw OrchestratorError.notASweepDirectory(directory) }
    let problems = verifySweep(directory: directory)
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
    discussion: "Exit 0 when the same, 1 when different, 2 on error.")

  @Argument(help: "Manifest or sweep directory A.") var a: String
  @Argument(help: "Manifest or sweep directory B.") var b: String
  @Option(help: "Absolute change of a metric that still counts as the same.") var tolerance = 0.0
  @Option(help: "Show at most this many rows.") var limit: Int?
  @Flag(help: "Print a machine-readable JSON document.") var json = false

  func validate() throws {
    try checkFlag("--tolerance", tolerance, in: 0...Double.greatestFiniteMagnitude)
    try checkFlag("--limit", limit, in: FlagRange.rows)
  }

  func run() throws {
    let diff = ManifestDiff.compare(
      try SweepManifest.load(path: a), try SweepManifest.load(path: b), tolerance: tolerance)
    if json {
      print(diff.json.prettyText, terminator: "")
    } else {
      print(diff.table(limit: limit), terminator: "")
    }
    if !diff.isEmpty { throw ExitCode.failure }
  }
}
