// Tests of the worker pool against stub workers (shell scripts speaking the worker protocol):
// a worker that stalls is killed by the watchdog, one that crashes fails its cell with the
// signal, and a full disk stops the run from starting more cells.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

/// A directory with an executable stub worker whose body (after `#!/bin/sh`) is `script`.
private struct StubWorker {
  let directory: String
  var executable: String { directory + "/worker.sh" }

  init(_ script: String) throws {
    directory = FileManager.default.temporaryDirectory.path + "/stub-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    // Written through a close-on-exec descriptor, so that no concurrent fork holds it open
    // for writing (which makes exec fail with ETXTBSY).
    let fd = open(executable, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
    let bytes = Array(("#!/bin/sh\n" + script + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  /// A worker process of the stub. A spawn can fail with ETXTBSY while another test's fork
  /// still holds the script's write descriptor: try again briefly.
  func start() throws -> WorkerProcess {
    for _ in 0..<50 {
      if let worker = try? WorkerProcess(executable: executable) { return worker }
      usleep(20_000)
    }
    return try WorkerProcess(executable: executable)
  }

  func cleanup() { try? FileManager.default.removeItem(atPath: directory) }
}

private func job(seed: UInt64) -> CellJob {
  var config = TrainingConfig()
  config.seed = seed
  config.iterations = 3
  return CellJob(
    id: CellID(config: config), config: config, canonicalConfig: Parameters.canonical(config))
}

@Test func aSilentWorkerIsKilledAndItsCellFailsAsStalled() throws {
  let stub = try StubWorker("read line\nexec sleep 60")
  defer { stub.cleanup() }
  let worker = try stub.start()
  let result = worker.run(job(seed: 1), in: SweepDirectory(stub.directory), stallSeconds: 0.3) {
    _ in
  }
  guard case .failed(let why) = result else {
    Issue.record("a stalled worker gave \(result)")
    return
  }
  #expect(why.hasPrefix("stalled: its worker (pid \(worker.child.pid)) said nothing for 0.3s"))
  #expect(why.hasSuffix("and was killed (killed by signal 9 (SIGKILL: Killed))"))
  #expect(!worker.isAlive)
}

@Test func aWorkerKilledBySIGSEGVFailsItsCellWithTheSignal() throws {
  let stub = try StubWorker("read line\nkill -SEGV $$")
  defer { stub.cleanup() }
  let worker = try stub.start()
  let result = worker.run(job(seed: 1), in: SweepDirectory(stub.directory), stallSeconds: 60) {
    _ in
  }
  #expect(
    result == .failed("worker crashed (killed by signal 11 (SIGSEGV: Segmentation fault))"))
}

@Test func aFullDiskStopsTheRunFromStartingCells() throws {
  let reply = #"{"event":"error","message":"full","disk_full":"/r/cells/x.tmp"}"#
  let stub = try StubWorker("while read line; do echo '\(reply)'; done")
  defer { stub.cleanup() }
  let jobs = (1...4).map { job(seed: UInt64($0)) }
  let state = RunState(jobs: jobs)
  runJobs(
    jobs, in: SweepDirectory(stub.directory), workers: 1, executable: stub.executable,
    state: state
  ) { _ in }
  #expect(state.stopped == .diskFull(path: "/r/cells/x.tmp"))
  #expect(state.allResults().count == 1)
  #expect(state.allResults().values.first == .diskFull(path: "/r/cells/x.tmp"))
}

@Test func anInterruptedRunKillsItsWorkersAndFailsNothing() throws {
  let stub = try StubWorker("read line\nexec sleep 60")
  defer { stub.cleanup() }
  let jobs = (1...3).map { job(seed: UInt64($0)) }
  let state = RunState(jobs: jobs)
  let interrupter = Thread {
    while state.snapshot().running < 2 { usleep(10_000) }
    usleep(100_000)
    state.stop(.interrupted)
  }
  interrupter.start()
  runJobs(
    jobs, in: SweepDirectory(stub.directory), workers: 2, executable: stub.executable,
    state: state
  ) { _ in }
  #expect(state.stopped == .interrupted)
  #expect(Array(state.allResults().values) == [.interrupted, .interrupted])
  let markers = (try? FileManager.default.contentsOfDirectory(atPath: stub.directory + "/cells"))
  #expect((markers ?? []).isEmpty)
}
