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

/// Collects the pool's events from its threads.
private final class EventLog: @unchecked Sendable {
  private let lock = NSLock()
  private var events: [PoolEvent] = []

  func add(_ event: PoolEvent) { lock.withLock { events.append(event) } }

  var started: Int {
    lock.withLock {
      events.filter {
        if case .started = $0 { return true }
        return false
      }.count
    }
  }

  var finished: [CellID: CellResult] {
    lock.withLock {
      var out: [CellID: CellResult] = [:]
      for case .finished(let job, let result) in events { out[job.id] = result }
      return out
    }
  }
}

/// Runs the jobs of seeds 1...`count` on `workers` slots of stub workers running `script`;
/// the caller cleans the stub up.
private func runOnStub(
  _ script: String, jobs count: Int, workers: Int,
  onEvent: @escaping @Sendable (PoolEvent) -> Void = { _ in }
) throws -> (stub: StubWorker, jobs: [CellJob], state: RunState) {
  let stub = try StubWorker(script)
  let jobs = (1...count).map { job(seed: UInt64($0)) }
  let state = RunState(jobs: jobs)
  runJobs(
    jobs, in: SweepDirectory(stub.directory), workers: workers, executable: stub.executable,
    state: state, onEvent: onEvent)
  return (stub, jobs, state)
}

@Test func aWorkerThatSaysGarbageFailsItsCellAndIsReplaced() throws {
  // The first worker answers its cell with a line that is not a message; the pool must fail
  // that cell (never skip the line and wait) and start a fresh worker for the next cell.
  let done = #"{"event":"done","status":"ok","steps":3}"#
  let log = EventLog()
  let (stub, jobs, state) = try runOnStub(
    """
    marker="$0.started"
    if [ -e "$marker" ]; then
      while read line; do echo '\(done)'; done
    else
      : > "$marker"; read line; echo 'this is not json'; exec sleep 60
    fi
    """, jobs: 2, workers: 1, onEvent: log.add)
  defer { stub.cleanup() }
  guard case .failed(let why) = state.allResults()[jobs[0].id] else {
    Issue.record("the garbage cell gave \(String(describing: state.allResults()[jobs[0].id]))")
    return
  }
  #expect(why == #"worker protocol error: not a JSON object: "this is not json""#)
  #expect(state.allResults()[jobs[1].id] == .ok)
  #expect(log.started == 2)
  #expect(log.finished == state.allResults())
  let marker = SweepDirectory(stub.directory).failureMarker(jobs[0].id)
  #expect(
    FileManager.default.contents(atPath: marker).map { String(decoding: $0, as: UTF8.self) }
      == why + "\n")
}

@Test func aCrashInThePoolFailsOnlyItsCell() throws {
  // Every worker crashes on the cell of seed 1 and answers the others.
  let crashHex = job(seed: 1).id.hex
  let done = #"{"event":"done","status":"diverged","steps":3}"#
  let (stub, jobs, state) = try runOnStub(
    """
    while read line; do
      case "$line" in *\(crashHex)*) kill -SEGV $$ ;; esac
      echo '\(done)'
    done
    """, jobs: 3, workers: 2)
  defer { stub.cleanup() }
  let results = state.allResults()
  #expect(
    results[jobs[0].id]
      == .failed("worker crashed (killed by signal 11 (SIGSEGV: Segmentation fault))"))
  #expect(results[jobs[1].id] == .diverged)
  #expect(results[jobs[2].id] == .diverged)
  #expect(state.snapshot().failed == 1)
}

@Test func aSlowCellDoesNotHoldBackTheOtherSlot() throws {
  // The slow cell finishes only once the three others are done, which can happen only if the
  // other slot keeps taking cells while it runs: no timing is assumed.
  let slowHex = job(seed: 1).id.hex
  let done = #"{"event":"done","status":"ok","steps":3}"#
  let (stub, _, state) = try runOnStub(
    """
    dir=$(dirname "$0")
    while read line; do
      case "$line" in
        *\(slowHex)*)
          while [ "$(ls "$dir" | grep -c '^fast-')" -lt 3 ]; do sleep 0.05; done ;;
        *) : > "$dir/fast-$(printf '%s' "$line" | cksum | cut -d' ' -f1)" ;;
      esac
      echo '\(done)'
    done
    """, jobs: 4, workers: 2)
  defer { stub.cleanup() }
  #expect(state.allResults().count == 4)
  #expect(state.allResults().values.allSatisfy { $0 == .ok })
}
