// Runs a list of cells on N worker processes, longest first, each slot taking the next cell when
// it is free. A worker that crashes fails only the cell it was running; a new worker takes its
// place for the rest.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// How one cell of a run ended.
public enum CellResult: Sendable, Equatable {
  case ok
  case diverged
  case failed(String)
  /// The cell could not be written because the file system is full at `path`.
  case diskFull(path: String)
  /// The run was interrupted (Ctrl-C, SIGTERM) while the cell ran.
  case interrupted
}

/// Why a run stopped before every cell had a result.
public enum RunStop: Sendable, Equatable {
  case diskFull(path: String)
  case interrupted
}

/// What the worker pool reports while it runs: each attempt at a cell as it starts and as it ends,
/// and each cell as it finishes. Called from the slots' threads.
enum PoolEvent: Sendable {
  /// A worker (`pid`) was handed the cell.
  case started(CellJob, pid: pid_t)
  /// An attempt that ran on a worker ended, as the failure ledger records it; when
  /// `attempt.retried`, the cell goes back to the queue (`--retries`) instead of finishing.
  case attempted(CellJob, Attempt)
  /// The cell's last attempt ended; for a failure, the failure marker is already written.
  case finished(CellJob, CellResult)
}

/// Live counters of a run, shared by the worker slots and the progress display.
final class RunState: @unchecked Sendable {
  private let lock = NSLock()
  private var queue: [CellJob]
  private var running: [CellID: Int] = [:]  // steps done
  private var finishedSteps = 0
  private(set) var results: [CellID: CellResult] = [:]
  private var stopReason: RunStop?
  private var children: [pid_t: ChildProcess] = [:]
  let totalCells: Int
  let totalSteps: Int
  /// With `--dynamic`, the claims every cell is taken under (see CellLease.swift).
  var claims: DynamicClaims?

  init(jobs: [CellJob]) {
    queue = jobs.reversed()  // popLast takes the first (longest) job
    totalCells = jobs.count
    totalSteps = jobs.reduce(0) { $0 + $1.config.iterations }
  }

  func next() -> CellJob? {
    lock.withLock {
      guard stopReason == nil, let job = queue.popLast() else { return nil }
      running[job.id] = 0
      return job
    }
  }

  /// Puts `job` back to be taken next, for a retry.
  func requeue(_ job: CellJob) {
    lock.withLock {
      running[job.id] = nil
      queue.append(job)
    }
  }

  func progress(_ id: CellID, step: Int) {
    lock.withLock { running[id] = step + 1 }
  }

  func finish(_ job: CellJob, _ result: CellResult) {
    lock.withLock {
      running[job.id] = nil
      finishedSteps += job.config.iterations
      results[job.id] = result
    }
    claims?.release(job.id)
  }

  /// Takes the claim of `job` under `--dynamic` (always true otherwise); a job another process
  /// has, or has done, is dropped from this run.
  func claim(_ job: CellJob) -> Bool {
    guard let claims, !claims.take(job.id) else { return true }
    lock.withLock { running[job.id] = nil }
    return false
  }

  /// Stops handing out cells; the first reason wins. For an interruption, running workers are
  /// killed too (their cells are redone by the next run).
  func stop(_ reason: RunStop) {
    let victims: [ChildProcess] = lock.withLock {
      if stopReason == nil { stopReason = reason }
      return reason == .interrupted ? Array(children.values) : []
    }
    for child in victims { child.kill() }
  }

  /// Why the run stopped early, if it did.
  var stopped: RunStop? { lock.withLock { stopReason } }

  func register(_ child: ChildProcess) {
    let interrupted = lock.withLock {
      children[child.pid] = child
      return stopReason == .interrupted
    }
    if interrupted { child.kill() }
  }

  func unregister(_ child: ChildProcess) {
    _ = lock.withLock { children.removeValue(forKey: child.pid) }
  }

  /// A consistent snapshot for the progress display.
  func snapshot() -> (done: Int, failed: Int, running: Int, steps: Int) {
    lock.withLock {
      var finished = 0
      var failed = 0
      for result in results.values {
        switch result {
        case .ok, .diverged: finished += 1
        case .failed:
          finished += 1
          failed += 1
        case .diskFull, .interrupted: break  // not finished: the next run redoes them
        }
      }
      return (finished, failed, running.count, finishedSteps + running.values.reduce(0, +))
    }
  }

  func allResults() -> [CellID: CellResult] { lock.withLock { results } }
}

/// Runs `jobs` (already sorted longest first) on `workers` processes of `executable worker`.
/// Returns when every job has a result, or when the run was stopped (`state.stop`) and the
/// running cells have ended. `onEvent` hears of each attempt as it starts and ends (from worker
/// threads). `stallLimit` gives, for a job, how long its worker may stay silent before it
/// counts as stalled and is killed. A failure of the infrastructure (a worker killed, signalled
/// or stalled, an I/O error) is tried again up to `retries` times.
func runJobs(
  _ jobs: [CellJob], in directory: SweepDirectory, workers: Int, executable: String,
  state: RunState, stallLimit: @escaping @Sendable (CellJob) -> Double = defaultStallLimit,
  retries: Int = 0, onEvent: @escaping @Sendable (PoolEvent) -> Void
) {
  let budget = RetryBudget(retries: retries)
  let slots = max(1, min(workers, jobs.count))
  let group = DispatchGroup()
  for _ in 0..<slots {
    group.enter()
    let thread = Thread {
      defer { group.leave() }
      var worker: WorkerProcess? = nil
      while let job = state.next() {
        guard state.claim(job) else { continue }
        if worker == nil {
          do {
            let started = try WorkerProcess(executable: executable)
            state.register(started.child)
            worker = started
          } catch {
            let result = CellResult.failed("\(error)")
            FailureMarker.write(job.id, in: directory, message: "\(error)")
            state.finish(job, result)
            onEvent(.finished(job, result))
            continue
          }
        }
        guard let current = worker else { continue }
        let started = Date()
        let stderrMark = current.child.standardError?.mark() ?? 0
        onEvent(.started(job, pid: current.child.pid))
        var result = current.run(job, in: directory, stallSeconds: stallLimit(job)) { step in
          state.progress(job.id, step: step)
        }
        if !current.isAlive {
          state.unregister(current.child)  // before reaping, so `stop` never kills a reused pid
          current.reap()
          worker = nil
          if state.stopped == .interrupted { result = .interrupted }
        }
        let attempt = current.attempt(
          result, started: started, stderrMark: stderrMark, budget: budget, id: job.id)
        onEvent(.attempted(job, attempt))
        if attempt.retried {
          state.requeue(job)
          continue
        }
        switch result {
        case .failed(let why):
          FailureMarker.write(job.id, in: directory, message: why)
        case .diskFull(let path):
          state.stop(.diskFull(path: path))
        case .ok, .diverged, .interrupted:
          break
        }
        state.finish(job, result)
        onEvent(.finished(job, result))
      }
      if let worker {
        state.unregister(worker.child)
        worker.close()
      }
    }
    thread.stackSize = 1 << 20
    thread.start()
  }
  group.wait()
}

/// How long a worker may stay silent on a cell before the watchdog calls it stalled: the time
/// the whole cell would take at 0.1 GFLOP/s (over 200 times slower than the core runs here),
/// and at least two minutes. Workers report progress several times a second while a cell runs,
/// so silence this long means a stopped process or a hung file system, never a slow cell.
/// `SEGSWEEP_STALL_SECONDS` overrides it (for the fault-injection tests).
func defaultStallLimit(_ job: CellJob) -> Double {
  if let text = ProcessInfo.processInfo.environment["SEGSWEEP_STALL_SECONDS"],
    let seconds = Double(text), seconds > 0
  {
    return seconds
  }
  return max(120, estimatedFLOPs(of: job.config) / 1e8)
}

/// One `sweep worker` child process with pipes to its stdin and stdout.
final class WorkerProcess {
  let child: ChildProcess
  private var reader: LineReader
  private(set) var isAlive = true
  /// How the last `run` ended, for the ledger.
  private(set) var facts = AttemptFacts()

  init(executable: String) throws {
    // The worker's stderr is passed on, and its last lines kept for the ledger.
    child = try ChildProcess(
      executable: executable, arguments: ["worker"], standardError: .capturedAndEchoed)
    reader = LineReader(fd: child.stdoutFD)
  }

  /// Notes that the worker died (or was killed, with `kill`) in the attempt, and how it ended.
  /// A death is the infrastructure's failure unless the worker broke the protocol.
  @discardableResult
  private func died(kill: Bool = false, stalled: Bool = false, infrastructure: Bool = true)
    -> String
  {
    isAlive = false
    if kill { child.kill() }
    let how = child.wait()
    let signal = child.exitCode.flatMap { $0 < 0 ? -$0 : nil }
    facts = AttemptFacts(
      exit: how, signal: signal, stalled: stalled, infrastructure: infrastructure)
    return how
  }

  /// Sends one job and waits for its answer, passing progress steps to `progress`. A worker
  /// silent for `stallSeconds` is killed and the cell fails as stalled; one that answers with
  /// anything but a progress, done or error message is killed and the cell fails with the line.
  func run(
    _ job: CellJob, in directory: SweepDirectory, stallSeconds: Double, progress: (Int) -> Void
  ) -> CellResult {
    facts = AttemptFacts()
    let line = WorkerMessage.job(job, in: directory).line + "\n"
    guard child.write(Array(line.utf8)) else {
      return .failed("worker stopped before taking the cell (\(died()))")
    }
    while true {
      let reply: String
      switch reader.nextLine(timeoutSeconds: stallSeconds) {
      case .line(let text): reply = text
      case .end:
        return .failed("worker crashed (\(died()))")
      case .timeout:
        let how = died(kill: true, stalled: true)
        return .failed(
          "stalled: its worker (pid \(child.pid)) said nothing for "
            + "\(formatDuration(stallSeconds)) and was killed (\(how))")
      }
      let message: WorkerMessage
      do {
        message = try WorkerMessage(line: reply)
      } catch {
        // A worker that says something else is in an unknown state: it is not trusted with
        // another cell.
        died(kill: true, infrastructure: false)
        return .failed("\(error)")
      }
      switch message {
      case .progress(let step):
        progress(step)
      case .done(let status, _):
        return status == .diverged ? .diverged : .ok
      case .error(_, let path?, _):
        return .diskFull(path: path)
      case .error(let text, nil, let io):
        facts.infrastructure = io
        return .failed(text)
      case .job:
        died(kill: true, infrastructure: false)
        return .failed("worker protocol error: a worker sent a job line: \(reply)")
      }
    }
  }

  func reap() {
    child.wait()
  }

  /// Closes the worker's stdin so it exits, and waits for it.
  func close() {
    child.closeInput()
    child.wait()
  }
}

/// Reads `\n`-terminated lines from a file descriptor without Foundation's buffering surprises.
struct LineReader {
  let fd: Int32
  private var buffer: [UInt8] = []
  private var start = 0

  init(fd: Int32) { self.fd = fd }

  /// What `nextLine` found.
  enum Next: Equatable {
    case line(String)
    case end
    case timeout
  }

  /// The next line without its newline, or nil at end of file.
  mutating func nextLine() -> String? {
    if case .line(let text) = nextLine(timeoutSeconds: nil) { return text }
    return nil
  }

  /// The next line without its newline, `.end` at end of file, or `.timeout` when no byte
  /// arrived for `timeoutSeconds` (nil: wait forever).
  mutating func nextLine(timeoutSeconds: Double?) -> Next {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: buffer[start..<newline], as: UTF8.self)
        start = newline + 1
        if start > 65_536 {
          buffer.removeFirst(start)
          start = 0
        }
        return .line(line)
      }
      if let timeoutSeconds {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(min(timeoutSeconds * 1000, Double(Int32.max)).rounded(.up))
        let ready = poll(&poller, 1, milliseconds)
        if ready < 0 && errno == EINTR { continue }
        if ready == 0 { return .timeout }
      }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return .end }
      buffer.append(contentsOf: chunk[0..<n])
    }
  }
}
