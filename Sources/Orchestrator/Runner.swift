// `sweep run`: plans a sweep, skips cells that are already done, runs the rest on worker
// processes with a progress display, and assembles the manifest and summary at the end.
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

  public init(jobs: Int, shard: Shard?, quiet: Bool, executable: String) {
    self.jobs = jobs
    self.shard = shard
    self.quiet = quiet
    self.executable = executable
  }
}

/// What a run did.
public struct RunReport: Sendable {
  public var sweepDirectory: String
  public var plan: Plan
  public var results: [String: CellResult]
  /// The assembled manifest and summary (unsharded runs only; shards are merged by `sweep merge`).
  public var merge: MergeResult?
  public var wallSeconds: Double

  public var failedCount: Int {
    results.values.filter {
      if case .failed = $0 { return true }
      return false
    }.count
  }
}

/// Runs the cells of `sweep` (or of `options.shard`) that are not done yet into
/// `resultsRoot/<name>/`. Holds a lock on the directory (per shard when sharded) for the whole
/// run, so a second run on the same results gets a clear error instead of racing.
public func runSweep(
  _ sweep: Sweep, resultsRoot: String, options: RunOptions,
  log: @escaping @Sendable (String) -> Void
) throws -> RunReport {
  signal(SIGPIPE, SIG_IGN)
  let sweepDirectory = "\(resultsRoot)/\(sweep.name)"
  let lockDirectory =
    options.shard.map { "\(sweepDirectory)/.locks/shard-\($0.index)-of-\($0.count)" }
    ?? sweepDirectory
  let lock = try ResultsLock(directory: lockDirectory)
  defer { lock.release() }
  try FileManager.default.createDirectory(
    atPath: "\(sweepDirectory)/cells", withIntermediateDirectories: true)

  let plan = Plan(
    sweep: sweep, sweepDirectory: sweepDirectory, shard: options.shard, jobs: options.jobs)
  let jobs = plan.pending.map {
    CellJob(hex: $0.cell.id.hex, config: $0.cell.config, canonicalConfig: $0.cell.canonicalConfig)
  }
  let doneBefore = plan.cells.count - jobs.count
  let scope = options.shard.map { " (shard \($0): \(plan.cells.count) cells)" } ?? ""
  let workers = max(1, min(options.jobs, jobs.count))
  log(
    "sweep \(sweep.name): \(sweep.cells.count) cells\(scope), \(doneBefore) already done, "
      + "\(jobs.count) to run on \(jobs.isEmpty ? 0 : workers) worker\(workers == 1 ? "" : "s") "
      + "-> \(sweepDirectory)")

  let clock = ContinuousClock()
  let start = clock.now
  let state = RunState(jobs: jobs)
  if !jobs.isEmpty {
    let progress = ProgressDisplay(state: state, quiet: options.quiet)
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
      runJobs(
        jobs, sweepDirectory: sweepDirectory, workers: workers, executable: options.executable,
        state: state
      ) { job, result in
        if case .failed(let why) = result {
          progress.printAbove("cell \(job.hex.prefix(12)) failed: \(why)")
        }
      }
      finished.signal()
    }
    thread.start()
    progress.run(until: finished)
  }
  let elapsed = clock.now - start
  let wall = seconds(elapsed)
  let merge = options.shard == nil ? try mergeSweep(sweep, sweepDirectory: sweepDirectory) : nil
  return RunReport(
    sweepDirectory: sweepDirectory, plan: plan, results: state.allResults(), merge: merge,
    wallSeconds: wall)
}
