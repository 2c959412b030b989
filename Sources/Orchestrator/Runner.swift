// `sweep run`: plans a sweep, skips cells that are already done (and reports damaged ones, which
// it redoes), runs the rest on worker processes with a progress display, and assembles the
// manifest and summary at the end. Ctrl-C, SIGTERM and a full disk stop it cleanly.
import Artifacts
import Foundation
import SweepSpec

/// Options of one `sweep run`.
public struct RunOptions: Sendable {
  public var jobs: Int
  public var shard: Shard?
  public var quiet: Bool
  /// The `sweep` binary to start as workers.
  public var executable: String
  /// Take cells by claiming them (`claims/<id>`) rather than by shard, so that any number of
  /// runs on the same directory share the work (CellLease.swift).
  public var dynamic: Bool
  /// How many times a cell whose attempt failed for the infrastructure (a worker killed,
  /// signalled or stalled, an I/O error) is tried again in this run; a diverged cell never is.
  public var retries = 0

  public init(jobs: Int, shard: Shard?, quiet: Bool, executable: String, dynamic: Bool = false) {
    self.jobs = jobs
    self.shard = shard
    self.quiet = quiet
    self.executable = executable
    self.dynamic = dynamic
  }
}

/// What a run did.
public struct RunReport: Sendable {
  public var sweepDirectory: String
  public var plan: Plan
  public var results: [CellID: CellResult]
  /// The assembled manifest and summary (unsharded runs that finished; shards are merged by
  /// `sweep merge`).
  public var merge: MergeResult?
  public var wallSeconds: Double
  /// Why the run stopped before running every cell (interrupted, disk full), if it did.
  public var stop: RunStop?

  public var failedCount: Int {
    results.values.filter {
      if case .failed = $0 { return true }
      return false
    }.count
  }

  /// Cells of the plan (the sweep, or the shard) that are done now.
  public var doneCount: Int {
    plan.cells.filter { planned in
      if planned.done { return true }
      switch results[planned.cell.id] {
      case .ok, .diverged: return true
      default: return false
      }
    }.count
  }
}

/// Runs the cells of `sweep` (or of `options.shard`) that are not done yet into
/// `resultsRoot/<name>/`. Holds a lock on the directory (per shard when sharded) for the whole
/// run, so a second run on the same results gets a clear error instead of racing. `resolved`
/// (the sweep file's text and overrides) is recorded as `resolved-sweep.json`. Damaged cells
/// are reported through `log`, one line each, and redone. On a full disk the run starts no more
/// cells and throws `diskFull`; on SIGINT or SIGTERM it kills its workers and returns with
/// `stop == .interrupted`.
public func runSweep(
  _ sweep: Sweep, resolved: ResolvedSweep?, resultsRoot: String, options: RunOptions,
  log: @escaping @Sendable (String) -> Void
) throws -> RunReport {
  signal(SIGPIPE, SIG_IGN)
  if let shard = options.shard { try shard.check(cellCount: sweep.cells.count) }
  let directory = SweepDirectory(resultsRoot: resultsRoot, sweepName: sweep.name)
  let sweepDirectory = directory.path
  let lockDirectory = directory.lockDirectory(shard: options.shard.map { ($0.index, $0.count) })
  func diskFull(_ error: ArtifactsError, done: Int? = nil) -> OrchestratorError {
    let plan = Plan(
      sweep: sweep, sweepDirectory: sweepDirectory, shard: options.shard, jobs: options.jobs)
    let finished = done ?? plan.cells.filter(\.done).count
    return .diskFull(
      path: directoryOf(error.file), done: finished, left: plan.cells.count - finished)
  }
  /// Runs `body`, turning an `ArtifactsError` that is a full disk into `diskFull`.
  func guardingDiskFull<T>(done: Int? = nil, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ArtifactsError where error.isDiskFull {
      throw diskFull(error, done: done)
    }
  }
  // Dynamic runs share the directory by design: their claims keep them apart, not a lock.
  let lock = try guardingDiskFull { () throws(ArtifactsError) in
    let lock = options.dynamic ? nil : try ResultsLock(directory: lockDirectory)
    try createDirectories(directory.cells)
    return lock
  }
  defer { lock?.release() }
  removeAbandonedTemporaryFiles(in: directory.cells)
  removeAbandonedTemporaryFiles(in: sweepDirectory)

  let plan = Plan(
    sweep: sweep, sweepDirectory: sweepDirectory, shard: options.shard, jobs: options.jobs,
    deep: true)
  for planned in plan.cells {
    if let damage = planned.damage {
      log("cell \(planned.cell.id.short) is damaged (\(damage)); running it again")
    }
  }
  try guardingDiskFull { () throws(ArtifactsError) in
    try resolved?.write(to: sweepDirectory)
  }
  let jobs = plan.pending.map { CellJob($0.cell) }
  let doneBefore = plan.cells.count - jobs.count
  let scope =
    options.shard.map { " (shard \($0): \(plan.cells.count) cells)" }
    ?? (options.dynamic ? " (dynamic: each cell claimed in claims/)" : "")
  let workers = max(1, min(options.jobs, jobs.count))
  let onWorkers = jobs.isEmpty ? "" : " on \(workers) worker\(workers == 1 ? "" : "s")"
  log(
    "sweep \(sweep.name): \(sweep.cells.count) cells\(scope), \(doneBefore) already done, "
      + "\(jobs.count) to run\(onWorkers) -> \(sweepDirectory)")

  let clock = ContinuousClock()
  let start = clock.now
  let state = RunState(jobs: jobs)
  if options.dynamic { state.claims = DynamicClaims(directory: directory) }
  defer { state.claims?.stop() }
  if !jobs.isEmpty {
    let signals = InterruptWatch { state.stop(.interrupted) }
    defer { signals.cancel() }
    let progress = ProgressDisplay(state: state, quiet: options.quiet)
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
      runJobs(
        jobs, in: directory, workers: workers, executable: options.executable, state: state,
        retries: options.retries
      ) { event in
        switch event {
        case .attempted(let job, let attempt):
          AttemptLedger.append(attempt, for: job.id, in: directory)
        case .finished(let job, .failed(let why)):
          progress.printAbove("cell \(job.id.short) failed: \(why)")
        default:
          break
        }
      }
      finished.signal()
    }
    thread.start()
    progress.run(until: finished)
  }
  let wall = seconds(clock.now - start)
  var report = RunReport(
    sweepDirectory: sweepDirectory, plan: plan, results: state.allResults(), merge: nil,
    wallSeconds: wall, stop: state.stopped)
  switch report.stop {
  case .diskFull(let path):
    let done = report.doneCount
    throw OrchestratorError.diskFull(
      path: directoryOf(path), done: done, left: plan.cells.count - done)
  case .interrupted:
    return report
  case nil:
    break
  }
  // A dynamic run merges when the sweep is complete (the last of several runs to end does).
  let complete =
    !options.dynamic
    || Plan(sweep: sweep, sweepDirectory: sweepDirectory, shard: nil, jobs: 1).pending.isEmpty
  if options.shard == nil && complete {
    let done = report.doneCount
    report.merge = try guardingDiskFull(done: done) {
      try mergeSweep(sweep, sweepDirectory: sweepDirectory)
    }
  }
  return report
}

/// The directory part of a path, for messages about where the disk filled up.
func directoryOf(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Turns SIGINT and SIGTERM into a call of `handler` (once) while it exists, instead of killing
/// the process; `cancel` restores the default actions.
final class InterruptWatch: @unchecked Sendable {
  private var sources: [DispatchSourceSignal] = []

  init(_ handler: @escaping @Sendable () -> Void) {
    for number in [SIGINT, SIGTERM] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler(handler: handler)
      source.resume()
      sources.append(source)
    }
  }

  func cancel() {
    for source in sources { source.cancel() }
    sources = []
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
  }
}
