// Tests of cell claims for `--dynamic`: one claimant wins, a live claim is respected, an expired
// or dead holder's claim is taken over, a release leaves others' claims alone, and a dynamic
// run skips cells another process holds.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

private func temporarySweepDirectory() throws -> SweepDirectory {
  let path = FileManager.default.temporaryDirectory.path + "/lease-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return SweepDirectory(path)
}

private let id = CellID(config: TrainingConfig())

@Test func onlyOneClaimantWinsALiveClaim() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory.path) }
  let first = CellLease.claim(id, in: directory, leaseSeconds: 60)
  #expect(first != nil)
  #expect(CellLease.claim(id, in: directory, leaseSeconds: 60) == nil)
  let text = try String(contentsOfFile: directory.claim(id), encoding: .utf8)
  let holder = try JSONValue(parsing: Array(text.utf8))
  #expect(holder["pid"]?.intValue == Int(getpid()))
  #expect(holder["host"]?.stringValue == hostName())
  first?.release()
  #expect(!FileManager.default.fileExists(atPath: directory.claim(id)))
}

@Test func anExpiredClaimIsTakenOver() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory.path) }
  let stale = try #require(CellLease.claim(id, in: directory, leaseSeconds: 60))
  let old = Date().addingTimeInterval(-120)
  try FileManager.default.setAttributes(
    [.modificationDate: old], ofItemAtPath: directory.claim(id))
  let taker = CellLease.claim(id, in: directory, leaseSeconds: 60)
  #expect(taker != nil)
  // The old holder's release must not remove the new holder's claim.
  stale.release()
  #expect(FileManager.default.fileExists(atPath: directory.claim(id)))
  // A heartbeat keeps the claim fresh.
  try FileManager.default.setAttributes(
    [.modificationDate: old], ofItemAtPath: directory.claim(id))
  taker?.heartbeat()
  #expect(!claimExpired(directory.claim(id), leaseSeconds: 60))
}

@Test func aClaimOfADeadProcessOnThisHostIsTakenOver() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory.path) }
  try FileManager.default.createDirectory(
    atPath: directory.claims, withIntermediateDirectories: true)
  // pid_max on Linux is at most 2^22, so this pid cannot exist.
  let dead = JSONValue.object(["host": .string(hostName()), "pid": JSONValue(int: 9_999_999)])
  try (dead.canonicalText + "\n").write(
    toFile: directory.claim(id), atomically: true, encoding: .utf8)
  #expect(claimExpired(directory.claim(id), leaseSeconds: 60))
  #expect(CellLease.claim(id, in: directory, leaseSeconds: 60) != nil)
}

@Test func dynamicClaimsSkipACellHeldElsewhere() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory.path) }
  let other = try #require(
    CellLease.claim(id, in: directory, leaseSeconds: 60))
  let claims = DynamicClaims(directory: directory, leaseSeconds: 60)
  defer { claims.stop() }
  #expect(!claims.take(id))
  #expect(claims.skipped == 1)
  other.release()
  #expect(claims.take(id))
  claims.release(id)
  #expect(!FileManager.default.fileExists(atPath: directory.claim(id)))
}
