// Runs a list of cells on N worker processes, longest first, each slot taking the next cell when
// it is free. A worker that crashes fails only the cell it was running; a new worker takes its
// place for the rest.
import CanonicalJSON
import Foundation

/// How one cell of a run ended.
public enum CellResult: Sendable, Equatable {
  case ok
  case diverged
  case failed(String)
}

/// Live counters of a run, shared by the worker slots and the progress display.
public final class RunState: @unchecked Sendable {
  private let lock = NSLock()
  private var queue: [CellJob]
  private var running: [String: Int] = [:]  // hex -> steps done
  private var finishedSteps = 0
  public private(set) var results: [String: CellResult] = [:]
  public let totalCells: Int
  public let totalSteps: Int

  init(jobs: [CellJob]) {
    queue = jobs.reversed()  // popLast takes the first (longest) job
    totalCells = jobs.count
    totalSteps = jobs.reduce(0) { $0 + $1.config.iterations }
  }

  func next() -> CellJob? {
    lock.withLock {
      guard let job = queue.popLast() else { return nil }
      running[job.hex] = 0
      return job
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
  }

  /// A consistent snapshot for the progress display.
  public func snapshot() -> (done: Int, failed: Int, running: Int, steps: Int) {
    lock.withLock {
      let failed = results.values.filter {
        if case .failed = $0 { return true }
        return false
      }.count
      return (results.count, failed, running.count, finishedSteps + running.values.reduce(0, +))
    }
  }

  public func allResults() -> [String: CellResult] { lock.withLock { results } }
}

/// Runs `jobs` (already sorted longest first) on `workers` processes of `executable worker`.
/// Returns when every job has a result. `onEvent` is called (from worker threads) after each
/// cell finishes.
public func runJobs(
  _ jobs: [CellJob], sweepDirectory: String, workers: Int, executable: String,
  state: RunState, onFinish: @escaping @Sendable (CellJob, CellResult) -> Void
) {
  let slots = max(1, min(workers, jobs.count))
  let group = DispatchGroup()
  for _ in 0..<slots {
    group.enter()
    let thread = Thread {
      defer { group.leave() }
      var worker: WorkerProcess? = nil
      while let job = state.next() {
        if worker == nil {
          do {
            worker = try WorkerProcess(executable: executable)
          } catch {
            let result = CellResult.failed("\(error)")
            FailureMarker.write(sweepDirectory: sweepDirectory, hex: job.hex, message: "\(error)")
            state.finish(job, result)
            onFinish(job, result)
            continue
          }
        }
        guard let current = worker else { continue }
        let result = current.run(job, sweepDirectory: sweepDirectory) { step in
          state.progress(job.hex, step: step)
        }
        if case .failed(let why) = result {
          FailureMarker.write(sweepDirectory: sweepDirectory, hex: job.hex, message: why)
          if !current.isAlive {
            current.reap()
            worker = nil
          }
        }
        state.finish(job, result)
        onFinish(job, result)
      }
      worker?.close()
    }
    thread.stackSize = 1 << 20
    thread.start()
  }
  group.wait()
}

/// One `sweep worker` child process with pipes to its stdin and stdout.
final class WorkerProcess {
  private let child: ChildProcess
  private var reader: LineReader
  private(set) var isAlive = true

  init(executable: String) throws {
    child = try ChildProcess(executable: executable, arguments: ["worker"])
    reader = LineReader(fd: child.stdoutFD)
  }

  /// Sends one job and waits for its answer, passing progress steps to `progress`.
  func run(_ job: CellJob, sweepDirectory: String, progress: (Int) -> Void) -> CellResult {
    let line = WorkerMessage.job(directory: sweepDirectory, job: job) + "\n"
    guard child.write(Array(line.utf8)) else {
      isAlive = false
      return .failed("worker stopped before taking the cell (\(child.wait()))")
    }
    while let reply = reader.nextLine() {
      guard let message = try? JSONValue(parsing: reply), let event = message["event"]?.stringValue
      else { continue }
      switch event {
      case "progress":
        if let step = message["step"]?.intValue { progress(step) }
      case "done":
        return message["status"]?.stringValue == "diverged" ? .diverged : .ok
      case "error":
        return .failed(message["message"]?.stringValue ?? "unknown error")
      default:
        continue
      }
    }
    isAlive = false
    return .failed("worker crashed (\(child.wait()))")
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

  /// The next line without its newline, or nil at end of file.
  mutating func nextLine() -> String? {
    while true {
      if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: buffer[start..<newline], as: UTF8.self)
        start = newline + 1
        if start > 65_536 {
          buffer.removeFirst(start)
          start = 0
        }
        return line
      }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return nil }
      buffer.append(contentsOf: chunk[0..<n])
    }
  }
}
