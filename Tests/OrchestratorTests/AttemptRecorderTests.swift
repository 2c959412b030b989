// Tests of the failure ledger as the worker pool writes it, against stub workers: every attempt
// is recorded with its exit and stderr, `--retries` retries a killed worker and an I/O error but
// never a diverged cell or a cell's own error.
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
  return CellJob(
    hex: CellID(config: config).hex, config: config,
    canonicalConfig: Parameters.canonical(config))
}

/// Runs one job on the stub with `retries` and returns its result and ledger.
private func run(_ script: String, retries: Int) throws -> (CellResult?, [Attempt]) {
  let stub = try stubDirectory(script)
  defer { try? FileManager.default.removeItem(atPath: stub.directory) }
  let job = oneJob()
  let state = RunState(jobs: [job])
  // ETXTBSY while another test's fork holds a script open is retried by starting again.
  runJobs(
    [job], sweepDirectory: stub.directory, workers: 1, executable: stub.executable,
    state: state, retries: retries
  ) { _, _ in }
  return (
    state.allResults()[job.hex],
    AttemptLedger.attempts(sweepDirectory: stub.directory, hex: job.hex)
  )
}

@Test func aKilledWorkerIsRetriedAndEveryAttemptRecorded() throws {
  let (result, attempts) = try run("read line\necho 'about to die' >&2\nkill -KILL $$", retries: 2)
  #expect(result == .failed("worker crashed (killed by signal 9 (SIGKILL: Killed))"))
  #expect(attempts.count == 3)
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
  let (result, attempts) = try run("while read line; do echo '\(reply)'; done", retries: 3)
  #expect(result == .diverged)
  #expect(attempts.map(\.outcome) == [.diverged])
}

@Test func onlyIOErrorsOfTheWorkerAreRetried() throws {
  let own = #"{"event":"error","message":"bad config","io":false}"#
  let (_, ownAttempts) = try run("while read line; do echo '\(own)'; done", retries: 3)
  #expect(ownAttempts.count == 1)
  #expect(ownAttempts.first?.message == "bad config")
  let io = #"{"event":"error","message":"EIO","io":true}"#
  let (_, ioAttempts) = try run("while read line; do echo '\(io)'; done", retries: 1)
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
  let (result, attempts) = try run(script, retries: 1)
  #expect(result == .ok)
  #expect(attempts.map(\.outcome) == [.failed, .ok])
}

@Test func stderrTailKeepsTheLinesSinceAMark() throws {
  var fds: [Int32] = [0, 0]
  #expect(pipe(&fds) == 0)
  let tail = StderrTail(fd: fds[0])
  func say(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
  }
  say("old\n")
  while tail.mark() < 1 { usleep(1000) }
  let mark = tail.mark()
  say("new 1\nnew 2\n")
  close(fds[1])
  tail.waitForEnd(seconds: 5)
  #expect(tail.lines(since: mark) == ["new 1", "new 2"])
}
