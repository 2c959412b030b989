// The run's side of the failure ledger (Artifacts/AttemptLedger.swift): the last lines of each
// worker's stderr, the facts of how an attempt ended, and `--retries`, which retries failures of
// the infrastructure (a worker killed, signalled or stalled, an I/O error) and never a result.
import Artifacts
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a worker's stderr pipe on its own thread, passes every byte on to this process's
/// stderr, and keeps the last lines for the ledger.
final class StderrTail: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  private var partial: [UInt8] = []
  /// Lines seen in total, so that `lines(since:)` can count from a mark.
  private var total = 0
  private let ended = DispatchSemaphore(value: 0)
  static let kept = 20

  init(fd: Int32) {
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        _ = chunk.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, n) }
        add(chunk[0..<n])
      }
      close(fd)
      ended.signal()
    }
    thread.stackSize = 1 << 18
    thread.start()
  }

  private func add(_ bytes: ArraySlice<UInt8>) {
    lock.withLock {
      for byte in bytes {
        if byte == UInt8(ascii: "\n") {
          lines.append(String(decoding: partial, as: UTF8.self))
          partial = []
          total += 1
          if lines.count > StderrTail.kept { lines.removeFirst(lines.count - StderrTail.kept) }
        } else if partial.count < 1000 {
          partial.append(byte)
        }
      }
    }
  }

  /// A mark of where the output is now.
  func mark() -> Int { lock.withLock { total } }

  /// The kept lines written since `mark` (and an unterminated last line), at most `kept`.
  func lines(since mark: Int) -> [String] {
    lock.withLock {
      var result = Array(lines.suffix(max(0, min(lines.count, total - mark))))
      if !partial.isEmpty { result.append(String(decoding: partial, as: UTF8.self)) }
      return result
    }
  }

  /// Waits (at most `seconds`) for the pipe to close, after the worker died.
  func waitForEnd(seconds: Double) {
    if ended.wait(timeout: .now() + seconds) == .success { ended.signal() }
  }
}

/// How an attempt ended, as the worker pool saw it.
struct AttemptFacts {
  /// How the worker ended, when it died in the attempt.
  var exit: String?
  var signal: Int32?
  var stalled = false
  /// Whether the failure is the infrastructure's (worker died or stalled, an I/O error), which
  /// `--retries` may retry; a cell's own error or a diverged run is not.
  var infrastructure = false
}

/// How many more attempts each cell may have under `--retries N`.
final class RetryBudget: @unchecked Sendable {
  let retries: Int
  private let lock = NSLock()
  private var used: [String: Int] = [:]

  init(retries: Int) { self.retries = max(0, retries) }

  /// Takes one retry of cell `hex` if it has one left.
  func take(_ hex: String) -> Bool {
    lock.withLock {
      let count = used[hex, default: 0]
      guard count < retries else { return false }
      used[hex] = count + 1
      return true
    }
  }
}

/// Appends the attempt that just ended to the cell's ledger and says whether to retry it: a
/// failure of the infrastructure, with a retry left in `budget`.
func recordAttempt(
  _ job: CellJob, result: CellResult, worker: WorkerProcess, started: Date, stderrMark: Int,
  sweepDirectory: String, budget: RetryBudget
) -> Bool {
  let facts = worker.facts
  if !worker.isAlive { worker.stderrTail?.waitForEnd(seconds: 1) }
  let outcome: Attempt.Outcome
  var message: String?
  switch result {
  case .ok: outcome = .ok
  case .diverged: outcome = .diverged
  case .failed(let why):
    outcome = .failed
    message = why
  case .diskFull(let path):
    outcome = .diskFull
    message = "the disk is full at \(path)"
  case .interrupted: outcome = .interrupted
  }
  let retry = outcome == .failed && facts.infrastructure && budget.take(job.hex)
  let attempt = Attempt(
    started: iso8601(started), ended: iso8601(Date()), host: hostName(),
    workerPID: Int(worker.child.pid), outcome: outcome, exit: facts.exit,
    signal: facts.signal.map(Int.init), stalled: facts.stalled, message: message,
    stderrTail: Array((worker.stderrTail?.lines(since: stderrMark) ?? []).suffix(10)),
    retried: retry)
  AttemptLedger.append(attempt, sweepDirectory: sweepDirectory, hex: job.hex)
  return retry
}

/// The ledger lines of `sweep status`: every cell with a failed attempt, one line per attempt
/// and the last stderr line of each failure. Empty when no attempt failed.
public func attemptLedgerText(sweepDirectory: String, cells: [String]) -> String {
  var text = ""
  var shown = 0
  for hex in cells {
    let attempts = AttemptLedger.attempts(sweepDirectory: sweepDirectory, hex: hex)
    guard attempts.contains(where: { $0.outcome != .ok && $0.outcome != .diverged }) else {
      continue
    }
    shown += 1
    if shown > 20 { continue }
    text += "  \(hex.prefix(12))  \(attempts.count) attempt\(attempts.count == 1 ? "" : "s"):\n"
    for (i, attempt) in attempts.enumerated() {
      text += "    \(i + 1). \(attempt.summary)\n"
      if let message = attempt.message { text += "       \(message)\n" }
      if let last = attempt.stderrTail.last { text += "       stderr: \(last)\n" }
    }
  }
  if shown > 20 { text += "  … and \(shown - 20) more cells with failed attempts\n" }
  return text.isEmpty
    ? ""
    : "\nattempts (from \(attemptsDirectory(sweepDirectory))/<id>.ndjson):\n" + text
}
