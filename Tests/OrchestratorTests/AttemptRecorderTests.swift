// Tests of the attempts the worker pool reports (`PoolEvent.attempted`, which `sweep run` appends
// to the failure ledger), against stub workers: every attempt comes with its exit and stderr,
// `--retries` retries a killed worker and an I/O error but never a diverged cell or a cell's own
// error.
import Artifacts
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

private func stubDirectory(_ script: String) throws -> (directory: String, executable: String) {
  let directory = FileManager.default.temporaryDirectory.path + "/ledger-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  let executable = directory + "/worker.sh"
  let fd = open(executable, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
  let bytes = Array(("#!/bin/sh\n" + script + "\n").utf8)
  _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  close(fd)
  return (directory, executable)
}

private func oneJob() -> CellJob {
  var config = TrainingConfig()
  config.iterations = 3
  return CellJob(Cell(config: config))
}

/// The attempts a run reported, in order.
private final class Reported: @unchecked Sendable {
  private let lock = NSLock()
  private var attempts: [Attempt] = []
  private var order: [String] = []

  func hear(_ event: PoolEvent) {
    lock.withLock {
      switch event {
      case .started: order.append("started")
      case .attempted(_, let attempt):
        order.append("attempted")
        attempts.append(attempt)
      case .finished: order.append("finished")
      }
    }
  }

  var all: [Attempt] { lock.withLock { attempts } }
  var events: [String] { lock.withLock { order } }
}

/// Runs one job on the stub with `retries` and returns its result, the attempts reported and
/// the order of the events.
private func run(_ script: String, retries: Int) throws -> (CellResult?, [Attempt], [String]) {
  let stub = try stubDirectory(script)
  defer { try? FileManager.default.removeItem(atPath: stub.directory) }
  let job = oneJob()
  let state = RunState(jobs: [job])
  let reported = Reported()
  runJobs(
    [job], in: SweepDirectory(stub.directory), workers: 1, executable: stub.executable,
    state: state, retries: retries, onEvent: reported.hear)
  return (state.allResults()[job.id], reported.all, reported.events)
}

@Test func aKilledWorkerIsRetriedAndEveryAttemptRecorded() throws {
  let (result, attempts, events) = try run(
    "read line\necho 'about to die' >&2\nkill -KILL $$", retries: 2)
  #expect(result == .failed("worker crashed (killed by signal 9 (SIGKILL: Killed))"))
  #expect(attempts.count == 3)
  let perAttempt = ["started", "attempted"]
  #expect(events == perAttempt + perAttempt + perAttempt + ["finished"])
  #expect(attempts.map(\.retried) == [true, true, false])
  let first = try #require(attempts.first)
  #expect(first.outcome == .failed)
  #expect(first.signal == 9)
  #expect(first.exit == "killed by signal 9 (SIGKILL: Killed)")
  #expect(first.stderrTail == ["about to die"])
  #expect(first.workerPID > 0)
  #expect(!first.stalled)
}

@Test func aDivergedCellIsAResultAndNeverRetried() throws {
  let reply = #"{"event":"done","status":"diverged","steps":2}"#
  let (result, attempts, _) = try run("while read line; do echo '\(reply)'; done", retries: 3)
  #expect(result == .diverged)
  #expect(attempts.map(\.outcome) == [.diverged])
}

@Test func onlyIOErrorsOfTheWorkerAreRetried() throws {
  let own = #"{"event":"error","message":"bad config","io":false}"#
  let (_, ownAttempts, _) = try run("while read line; do echo '\(own)'; done", retries: 3)
  #expect(ownAttempts.count == 1)
  #expect(ownAttempts.first?.message == "bad config")
  let io = #"{"event":"error","message":"EIO","io":true}"#
  let (_, ioAttempts, _) = try run("while read line; do echo '\(io)'; done", retries: 1)
  #expect(ioAttempts.map(\.retried) == [true, false])
}

@Test func aRetryThatSucceedsEndsOk() throws {
  // The first worker dies; its replacement (a marker file tells them apart) answers ok.
  let done = #"{"event":"done","status":"ok","steps":3}"#
  let script = """
    d=$(dirname "$0")
    if [ ! -e "$d/died" ]; then touch "$d/died"; read line; kill -KILL $$; fi
    while read line; do echo '\(done)'; done
    """
  let (result, attempts, _) = try run(script, retries: 1)
  #expect(result == .ok)
  #expect(attempts.map(\.outcome) == [.failed, .ok])
}
