// Tests of the failure ledger's file: appended lines read back in order, counts per cell, and
// lines that do not parse skipped rather than failing the reader.
import Foundation
import SweepSpec
import Testing

@testable import Artifacts

@Test func attemptsAppendAndReadBackInOrder() throws {
  let directory = SweepDirectory(
    FileManager.default.temporaryDirectory.path + "/attempts-" + UUID().uuidString)
  defer { try? FileManager.default.removeItem(atPath: directory.path) }
  let id = try #require(CellID(hex: String(repeating: "c", count: 64)))
  let killed = Attempt(
    started: "2026-12-01T10:00:00Z", ended: "2026-12-01T10:00:05Z", host: "node1",
    workerPID: 42, outcome: .failed, exit: "killed by signal 9 (SIGKILL: Killed)", signal: 9,
    message: "worker crashed", stderrTail: ["last words"], retried: true)
  let ok = Attempt(
    started: "2026-12-01T10:00:05Z", ended: "2026-12-01T10:00:09Z", host: "node1",
    workerPID: 43, outcome: .ok)
  AttemptLedger.append(killed, for: id, in: directory)
  AttemptLedger.append(ok, for: id, in: directory)
  let handle = try #require(FileHandle(forWritingAtPath: directory.attemptLedger(id)))
  handle.seekToEndOfFile()
  handle.write(Data("not json\n".utf8))
  handle.closeFile()
  #expect(AttemptLedger.attempts(id, in: directory) == [killed, ok])
  #expect(AttemptLedger.counts(in: directory) == [id: 2])
  #expect(
    killed.summary
      == "failed (killed by signal 9 (SIGKILL: Killed)) on node1 pid 42 at 2026-12-01T10:00:00Z, retried"
  )
}
