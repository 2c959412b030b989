// Tests of cell claims for `--dynamic`: one claimant wins, a live claim is respected, an expired
// or dead holder's claim is taken over, a release leaves others' claims alone, and a dynamic
// run skips cells another process holds.
import CanonicalJSON
import Foundation
import Testing

@testable import Orchestrator

private func temporarySweepDirectory() throws -> String {
  let path = FileManager.default.temporaryDirectory.path + "/lease-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

private let hex = String(repeating: "ab", count: 32)

@Test func onlyOneClaimantWinsALiveClaim() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let first = CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60)
  #expect(first != nil)
  #expect(CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60) == nil)
  let text = try String(contentsOfFile: claimPath(directory, hex), encoding: .utf8)
  let holder = try JSONValue(parsing: Array(text.utf8))
  #expect(holder["pid"]?.intValue == Int(getpid()))
  #expect(holder["host"]?.stringValue == hostName())
  first?.release()
  #expect(!FileManager.default.fileExists(atPath: claimPath(directory, hex)))
}

@Test func anExpiredClaimIsTakenOver() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let stale = try #require(CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60))
  let old = Date().addingTimeInterval(-120)
  try FileManager.default.setAttributes(
    [.modificationDate: old], ofItemAtPath: claimPath(directory, hex))
  let taker = CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60)
  #expect(taker != nil)
  // The old holder's release must not remove the new holder's claim.
  stale.release()
  #expect(FileManager.default.fileExists(atPath: claimPath(directory, hex)))
  // A heartbeat keeps the claim fresh.
  try FileManager.default.setAttributes(
    [.modificationDate: old], ofItemAtPath: claimPath(directory, hex))
  taker?.heartbeat()
  #expect(!claimExpired(claimPath(directory, hex), leaseSeconds: 60))
}

@Test func aClaimOfADeadProcessOnThisHostIsTakenOver() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  try FileManager.default.createDirectory(
    atPath: claimsDirectory(directory), withIntermediateDirectories: true)
  // pid_max on Linux is at most 2^22, so this pid cannot exist.
  let dead = JSONValue.object(["host": .string(hostName()), "pid": JSONValue(int: 9_999_999)])
  try (dead.canonicalText + "\n").write(
    toFile: claimPath(directory, hex), atomically: true, encoding: .utf8)
  #expect(claimExpired(claimPath(directory, hex), leaseSeconds: 60))
  #expect(CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60) != nil)
}

@Test func dynamicClaimsSkipACellHeldElsewhere() throws {
  let directory = try temporarySweepDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let other = try #require(
    CellLease.claim(sweepDirectory: directory, hex: hex, leaseSeconds: 60))
  let claims = DynamicClaims(sweepDirectory: directory, leaseSeconds: 60)
  defer { claims.stop() }
  #expect(!claims.take(hex))
  #expect(claims.skipped == 1)
  other.release()
  #expect(claims.take(hex))
  claims.release(hex)
  #expect(!FileManager.default.fileExists(atPath: claimPath(directory, hex)))
}
