// `sweep plan`, `sweep run`, `sweep merge`, `sweep status`, `sweep summary` and the hidden
// `sweep worker`: thin wrappers over Orchestrator.
import ArgumentParser
import Artifacts
import Foundation
import Orchestrator
import SweepSpec

struct Plan: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the cells of a sweep, their cost, which are done, and the worker assignment.")

  @OptionGroup var spec: SpecOptions
  @Option(help: "Worker processes to plan for (default: the core count).") var jobs: Int?
  @Option(help: "Plan one part of a stable partition by cell id, e.g. 0/4.") var shard: String?
  @Option(help: "Results root; the sweep directory is ROOT/<name>.") var results = "results"

  func validate() throws {
    try checkFlag("--jobs", jobs, in: FlagRange.jobs)
  }

  func run() throws {
    let sweep = try spec.load()
    let jobs = try validJobs(jobs)
    let shard = try parseShard(shard)
    try shard?.check(cellCount: sweep.cells.count)
    let plan = Orchestrator.Plan(
      sweep: sweep, sweepDirectory: "\(results)/\(sweep.name)", shard: shard, jobs: jobs)
    print(planText(plan, sweep: sweep))
    if let estimate = timeEstimateText(plan, resultsRoot: results) { print(estimate) }
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run every cell of a sweep that is not done yet, on worker processes.")

  @OptionGroup var spec: SpecOptions
  @Option(help: "Worker processes (default: the core count).") var jobs: Int?
  @Option(help: "Run one part of a stable partition by cell id, e.g. 0/4.") var shard: String?
  @Option(help: "Results root; the sweep directory is ROOT/<name>.") var results = "results"
  @Flag(help: "No progress display and no summary.") var quiet = false
  @Flag(
    help:
      "Take the next unclaimed cell, longest first, by claiming it in DIR/claims/, so that any number of runs (hosts, Slurm tasks) share the sweep."
  )
  var dynamic = false
  @Option(
    help:
      "Retry a cell this many times when its attempt fails for the infrastructure (worker killed, signalled or stalled, I/O error); a diverged cell is a result and never retried."
  )
  var retries = 0

  func validate() throws {
    try checkFlag("--jobs", jobs, in: FlagRange.jobs)
    try checkFlag("--retries", retries, in: FlagRange.retries)
    if dynamic && shard != nil {
      throw ValidationError("--dynamic and --shard exclude each other: use one or the other")
    }
  }

  func run() throws {
    let sweep = try spec.load()
    let resolved = try ResolvedSweep.capture(
      path: spec.sweepFile, sweepSHA256: sweep.specSHA256, overrides: spec.overrides,
      maxCells: spec.maxCells)
    var options = RunOptions(
      jobs: try validJobs(jobs), shard: try parseShard(shard), quiet: quiet,
      executable: currentExecutable(), dynamic: dynamic)
    options.retries = retries
    if let note = SpecManifests.otherSpecNote(
      directory: "\(results)/\(sweep.name)", plannedIDs: sweep.cells.map(\.id.hex))
    {
      printError(note)
    }
    let report: RunReport
    do {
      report = try runSweep(sweep, resolved: resolved, resultsRoot: results, options: options) {
        line in
        if !quiet { printError(line) }
      }
    } catch let error as OrchestratorError {
      // A full disk is not bad input: the finished cells are kept and the same command resumes.
      if case .diskFull = error {
        printError("error: \(error)")
        throw ExitCode.failure
      }
      throw error
    }
    if report.stop == .interrupted {
      let total = report.plan.cells.count
      let done = report.doneCount
      printError(
        "interrupted: \(done) of \(total) cells done, \(total - done) left; resume with:\n  "
          + resolved.runCommand(resultsRoot: results, shard: options.shard?.description))
      throw ExitCode(130)
    }
    if let merge = report.merge {
      if !quiet { print(merge.summary.text) }
      printError(wroteText(report.sweepDirectory, merge.manifest))
      if report.failedCount == 0 { printError(nextCommands(report.sweepDirectory)) }
    } else if dynamic, !quiet {
      printError(
        "this run has no cell left to take; when every run has ended, assemble the sweep with: "
          + "sweep merge \(shellQuote(report.sweepDirectory))")
    } else if let shard = options.shard, !quiet {
      printError(
        "shard \(shard) finished; when every shard has, assemble the sweep with: "
          + "sweep merge \(shellQuote(report.sweepDirectory))")
    }
    if report.failedCount > 0 {
      printError(
        "\(report.failedCount) cell\(report.failedCount == 1 ? "" : "s") failed; "
          + "run the same command again to retry them")
      throw ExitCode.failure
    }
  }
}

struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Assemble manifest.json and the summary of a sweep directory from its cells.",
    discussion:
      "With no sweep file, the sweep recorded in DIR/resolved-sweep.json by `sweep run`. A sweep "
      + "file (with --set) is checked against that record, so a merge never replaces a manifest "
      + "with one of another sweep.")

  @Argument(help: "The sweep directory (e.g. results/paper).") var directory: String
  @Argument(help: "The sweep file; default: the sweep recorded in DIR.") var sweepFile: String?
  @Option(
    name: .customLong("set"),
    help: ArgumentHelp("Overrides of the run (only with a sweep file).", valueName: "key=value"))
  var overrides: [String] = []
  @Option(help: "Refuse grids with more cells than this.") var maxCells: Int = 100_000

  func run() throws {
    guard sweepFile != nil || overrides.isEmpty else {
      throw ValidationError("--set needs the sweep file: sweep merge DIR SWEEP.yaml --set k=v")
    }
    let sweep = try sweepForMerge(
      sweepDirectory: directory, sweepFile: sweepFile, overrides: overrides, maxCells: maxCells)
    let merge = try mergeSweep(sweep, sweepDirectory: directory, deep: true)
    print(merge.summary.text)
    printError(wroteText(directory, merge.manifest))
    if !merge.missing.isEmpty {
      let failed = Dictionary(
        merge.failed.map { ($0.cell.id, "failed: \($0.message)") },
        uniquingKeysWith: { a, _ in a })
      let damaged = Dictionary(
        merge.damaged.map { ($0.cell.id, "damaged: \($0.damage)") },
        uniquingKeysWith: { a, _ in a })
      printError("\(merge.missing.count) of \(sweep.cells.count) cells are missing:")
      for cell in merge.missing {
        printError(
          "  \(cell.id.short)  \(damaged[cell.id] ?? failed[cell.id] ?? "missing")")
      }
      throw ExitCode.failure
    }
  }
}

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show done, running, failed and missing cells of a sweep directory, per shard.")

  @Argument(help: "The sweep directory (e.g. results/paper).") var directory: String
  @Argument(help: "The sweep file; default: the sweep recorded in DIR by `sweep run`.")
  var sweepFile: String?
  @Option(name: .customLong("set"), help: "Overrides used for the run (only with a sweep file).")
  var overrides: [String] = []
  @Option(
    help:
      "Show counts for this many shards (as in --shard i/N); default: the shard count the directory was run with, if any."
  )
  var shards: Int?

  func validate() throws {
    try checkFlag("--shards", shards, in: FlagRange.cells)
  }

  func run() throws {
    let sweep: Sweep
    let path: String
    var sets = overrides
    if let sweepFile {
      path = sweepFile
      sweep = try Sweep.load(path: sweepFile, overrides: overrides)
    } else if let recorded = try ResolvedSweep.load(sweepDirectory: directory) {
      path = recorded.specPath
      sets = recorded.overrides
      sweep = try recorded.expand()
    } else {
      path = try recordedSpecPath(directory)
      sweep = try Sweep.load(path: path, overrides: overrides)
    }
    if let shards {
      guard shards >= 1 else { throw ValidationError("--shards must be at least 1") }
      try Shard(index: 0, count: shards).check(cellCount: sweep.cells.count)
    }
    let status = SweepStatus(sweep: sweep, sweepDirectory: directory)
    let shardCount = shards ?? shardCountUsed(in: directory).map { min($0, sweep.cells.count) }
    print(statusText(status, sweepPath: path, overrides: sets, shards: shardCount))
    if status.count(.done) < sweep.cells.count { throw ExitCode.failure }
  }
}

struct Summarize: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary", abstract: "Print the summary table of a sweep directory again.")

  @Argument(help: "The sweep directory or its manifest.json.") var directory: String
  @Option(help: "The spec (key or prefix under DIR/manifests/) to summarise; default: the latest.")
  var spec: String?
  @Flag(help: "Print Markdown instead of plain text.") var markdown = false
  @Flag(help: "Print CSV instead of plain text.") var csv = false

  func run() throws {
    let path = try spec.map { try SpecManifests.path(in: directory, spec: $0) } ?? directory
    let summary = Summary(manifest: try SweepManifest.load(path: path))
    print(csv ? summary.csv : markdown ? summary.markdown : summary.text, terminator: "")
  }
}

struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Serve cells to a parent `sweep run` over stdin/stdout.", shouldDisplay: false)

  func run() throws { serveWorker() }
}

/// `--jobs`, defaulting to the core count.
func validJobs(_ jobs: Int?) throws -> Int {
  let value = jobs ?? ProcessInfo.processInfo.activeProcessorCount
  guard value >= 1 else { throw ValidationError("--jobs must be at least 1, got \(value)") }
  return value
}

/// The shard count of earlier `--shard i/N` runs into `directory` (from their lock folders).
func shardCountUsed(in directory: String) -> Int? {
  let names =
    (try? FileManager.default.contentsOfDirectory(atPath: SweepDirectory(directory).shardLocks))
    ?? []
  return names.compactMap { name in name.split(separator: "-").last.flatMap { Int($0) } }.max()
}

/// The spec path recorded in a sweep directory's manifest.
func recordedSpecPath(_ directory: String) throws -> String {
  let manifest = try SweepManifest.load(path: directory)
  return manifest.specPath
}

/// The closing line of a finished run: what to look at next.
func nextCommands(_ directory: String) -> String {
  let quoted = shellQuote(directory)
  return "next: sweep report \(quoted) (figures), sweep claims \(quoted) (the paper's claims), "
    + "sweep verify \(quoted) (check every file)"
}

/// `estimated time: about 4 min on 2 workers (…)`, from this machine's measured speed; nil when
/// nothing is left to run.
func timeEstimateText(_ plan: Orchestrator.Plan, resultsRoot: String) -> String? {
  let pending = plan.slotLoads.reduce(0, +)
  guard pending > 0 else { return nil }
  let speed =
    measuredSpeed(sweepDirectory: plan.sweepDirectory, resultsRoot: resultsRoot)
    ?? calibratedSpeed()
  let wall = estimatedWallSeconds(plan, speed: speed)
  return
    "estimated time: \(roughDuration(wall)) on \(plan.jobs) worker\(plan.jobs == 1 ? "" : "s") "
    + String(
      format: "(%.1f GFLOP at %.2f GFLOP/s per worker, ", pending / 1e9, speed.flopsPerSecond / 1e9)
    + speed.source + ")"
}

/// `wrote DIR/manifest.json, summary.md, summary.csv (spec KEY, kept in manifests/ too)`.
func wroteText(_ directory: String, _ manifest: SweepManifest) -> String {
  "wrote \(directory)/manifest.json, summary.md, summary.csv (spec \(SpecManifests.key(of: manifest)), "
    + "kept in \(SpecManifests.directoryName)/ too)"
}
