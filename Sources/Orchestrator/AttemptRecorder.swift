// The run's side of the failure ledger (Artifacts/AttemptLedger.swift): the facts of how an
// attempt ended, the `Attempt` the worker pool reports for it (`PoolEvent.attempted`), and
// `--retries`, which retries failures of the infrastructure (a worker killed, signalled or
// stalled, an I/O error) and never a result.
import Artifacts
import Foundation
import SweepSpec

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
  private var used: [CellID: Int] = [:]

  init(retries: Int) { self.retries = max(0, retries) }

  /// Takes one retry of cell `id` if it has one left.
  func take(_ id: CellID) -> Bool {
    lock.withLock {
      let count = used[id, default: 0]
      guard count < retries else { return false }
      used[id] = count + 1
      return true
    }
  }
}

extension WorkerProcess {
  /// The attempt at cell `id` that just ended with `result` on this worker, as the ledger records
  /// it; `retried` when it failed for the infrastructure and `budget` has a retry left.
  func attempt(
    _ result: CellResult, started: Date, stderrMark: Int, budget: RetryBudget, id: CellID
  ) -> Attempt {
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
    let retry = outcome == .failed && facts.infrastructure && budget.take(id)
    return Attempt(
      started: iso8601(started), ended: iso8601(Date()), host: hostName(),
      workerPID: Int(child.pid), outcome: outcome, exit: facts.exit,
      signal: facts.signal.map(Int.init), stalled: facts.stalled, message: message,
      stderrTail: Array((child.standardError?.lines(since: stderrMark) ?? []).suffix(10)),
      retried: retry)
  }
}

/// The ledger lines of `sweep status`: every cell with a failed attempt, one line per attempt
/// and the last stderr line of each failure. Empty when no attempt failed.
public func attemptLedgerText(in directory: SweepDirectory, cells: [CellID]) -> String {
  var text = ""
  var shown = 0
  for id in cells {
    let attempts = AttemptLedger.attempts(id, in: directory)
    guard attempts.contains(where: { $0.outcome != .ok && $0.outcome != .diverged }) else {
      continue
    }
    shown += 1
    if shown > 20 { continue }
    text += "  \(id.short)  \(attempts.count) attempt\(attempts.count == 1 ? "" : "s"):\n"
    for (i, attempt) in attempts.enumerated() {
      text += "    \(i + 1). \(attempt.summary)\n"
      if let message = attempt.message { text += "       \(message)\n" }
      if let last = attempt.stderrTail.last { text += "       stderr: \(last)\n" }
    }
  }
  if shown > 20 { text += "  … and \(shown - 20) more cells with failed attempts\n" }
  return text.isEmpty
    ? ""
    : "\nattempts (from \(directory.attempts)/<id>.ndjson):\n" + text
}
