// Runs a list of cells on N worker processes, longest first, each slot taking the next cell when
// it is free. A worker that crashes fails only the cell it was running; a new worker takes its
// place for the rest.
import CanonicalJSON
import Foundation
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

/// Live counters of a run, shared by the worker slots and the progress display.
public final class RunState: @unchecked Sendable {
  private let lock = NSLock()
  private var queue: [CellJob]
  private var running: [String: Int] = [:]  // hex -> steps done
  private var finishedSteps = 0
  public private(set) var results: [String: CellResult] = [:]
  private var stopReason: RunStop?
  private var children: [pid_t: ChildProcess] = [:]
  public let totalCells: Int
  public let totalSteps: Int
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
      running[job.hex] = 0
      return job
    }
  }

  /// Puts `job` back to be taken next, for a retry.
  func requeue(_ job: CellJob) {
    lock.withLock {
      running[job.hex] = nil
      queue.append(job)
    }
  }

  func progress(_ hex: String, step: Int) {
    lock.withLock { running[hex] = step + 1 }
  }

  func finish(_ job: CellJob, _ result: CellResult) {
    lock.withLock {
      running[job.hex] = nil
      finishedSteps += job.config.iterations
      results[job.hex] = result
    }
    claims?.release(job.hex)
  }

  /// Takes the claim of `job` under `--dynamic` (always true otherwise); a job another process
  /// has, or has done, is dropped from this run.
  func claim(_ job: CellJob) -> Bool {
    guard let claims, !claims.take(job.hex) else { return true }
    lock.withLock { running[job.hex] = nil }
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
  public var stopped: RunStop? { lock.withLock { stopReason } }

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
  public func snapshot() -> (done: Int, failed: Int, running: Int, steps: Int) {
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

  public func allResults() -> [String: CellResult] { lock.withLock { results } }
}

/// Runs `jobs` (already sorted longest first) on `workers` processes of `executable worker`.
/// Returns when every job has a result, or when the run was stopped (`state.stop`) and the
/// running cells have ended. `onFinish` is called (from worker threads) after each cell.
/// `stallLimit` gives, for a job, how long its worker may stay silent before it counts as
/// stalled and is killed. Every attempt is recorded in the cell's ledger (`attempts/<id>.ndjson`);
/// a failure of the infrastructure is tried again up to `retries` times.
public func runJobs(
  _ jobs: [CellJob], sweepDirectory: String, workers: Int, executable: String,
  state: RunState, stallLimit: @escaping @Sendable (CellJob) -> Double = defaultStallLimit,
  retries: Int = 0, onFinish: @escaping @Sendable (CellJob, CellResult) -> Void
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
            FailureMarker.write(sweepDirectory: sweepDirectory, hex: job.hex, message: "\(error)")
            state.finish(job, result)
            onFinish(job, result)
            continue
          }
        }
        guard let current = worker else { continue }
        let started = Date()
        let stderrMark = current.stderrTail?.mark() ?? 0
        var result = current.run(
          job, sweepDirectory: sweepDirectory, stallSeconds: stallLimit(job)
        ) { step in
          state.progress(job.hex, step: step)
        }
        if !current.isAlive {
          state.unregister(current.child)  // before reaping, so `stop` never kills a reused pid
          current.reap()
          worker = nil
          if state.stopped == .interrupted { result = .interrupted }
        }
        if recordAttempt(
          job, result: result, worker: current, started: started, stderrMark: stderrMark,
          sweepDirectory: sweepDirectory, budget: budget)
        {
          state.requeue(job)
          continue
        }
        switch result {
        case .failed(let why):
          FailureMarker.write(sweepDirectory: sweepDirectory, hex: job.hex, message: why)
        case .diskFull(let path):
          state.stop(.diskFull(path: path))
        case .ok, .diverged, .interrupted:
          break
        }
        state.finish(job, result)
        onFinish(job, result)
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
public func defaultStallLimit(_ job: CellJob) -> Double {
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
  /// The worker's stderr, passed on and its last lines kept for the ledger.
  let stderrTail: StderrTail?
  /// How the last `run` ended, for the ledger.
  private(set) var facts = AttemptFacts()

  init(executable: String) throws {
    child = try ChildProcess(executable: executable, arguments: ["worker"], captureStderr: true)
    reader = LineReader(fd: child.stdoutFD)
    stderrTail = child.stderrFD.map { StderrTail(fd: $0) }
  }

  /// Notes that the worker died in the attempt, with how it ended.
  private func died(stalled: Bool = false) -> String {
    isAlive = false
    let how = child.wait()
    facts = AttemptFacts(
      exit: how, signal: child.exitSignal, stalled: stalled, infrastructure: true)
    return how
  }

  /// Sends one job and waits for its answer, passing progress steps to `progress`. A worker
  /// silent for `stallSeconds` is killed and the cell fails as stalled.
  func run(
    _ job: CellJob, sweepDirectory: String, stallSeconds: Double, progress: (Int) -> Void
  ) -> CellResult {
    facts = AttemptFacts()
    let line = WorkerMessage.job(directory: sweepDirectory, job: job) + "\n"
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
        child.kill()
        let how = died(stalled: true)
        return .failed(
          "stalled: its worker (pid \(child.pid)) said nothing for "
            + "\(formatDuration(stallSeconds)) and was killed (\(how))")
      }
      guard let message = try? JSONValue(parsing: reply), let event = message["event"]?.stringValue
      else { continue }
      switch event {
      case "progress":
        if let step = message["step"]?.intValue { progress(step) }
      case "done":
        return message["status"]?.stringValue == "diverged" ? .diverged : .ok
      case "error":
        if let path = message["disk_full"]?.stringValue { return .diskFull(path: path) }
        facts.infrastructure = message["io"]?.boolValue == true
        return .failed(message["message"]?.stringValue ?? "unknown error")
      default:
        continue
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
