// Tests of `sweep diff --logs`: record-by-record comparison of step logs and damaged files.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct LogDiffTests {
  static func log(_ lines: [String]) -> [UInt8] { Array(lines.map { $0 + "\n" }.joined().utf8) }

  static let base = [
    #"{"step":0,"loss_cce":0.5,"grad_cce":1,"accuracy":0.5}"#,
    #"{"step":1,"loss_cce":0.4,"grad_cce":0.9}"#,
    #"{"step":2,"loss_cce":0.3,"grad_cce":0.8,"accuracy":0.75}"#,
  ]

  @Test func identicalLogsAreTheSame() {
    let c = compareStepLogs(id: "x", Self.log(Self.base), Self.log(Self.base), tolerance: .exact)
    #expect(c.same && c.recordsA == 3 && c.recordsB == 3 && c.keys.isEmpty)
  }

  @Test func theFirstDifferingStepAndTheLargestDifferencesPerKey() {
    var changed = Self.base
    changed[1] = #"{"step":1,"loss_cce":0.41,"grad_cce":0.9}"#
    changed[2] = #"{"step":2,"loss_cce":0.36,"grad_cce":0.8,"accuracy":0.5}"#
    let c = compareStepLogs(id: "x", Self.log(Self.base), Self.log(changed), tolerance: .exact)
    #expect(!c.same)
    #expect(c.differingRecords == 2 && c.firstDifferingStep == 1)
    #expect(c.keys.map(\.key) == ["loss_cce", "accuracy"])
    let loss = c.keys[0]
    #expect(loss.differing == 2 && loss.firstStep == 1 && loss.absoluteStep == 2)
    #expect(abs((loss.largestAbsolute ?? 0) - 0.06) < 1e-9)
    #expect(abs((loss.largestRelative ?? 0) - 0.06 / 0.36) < 1e-9 && loss.relativeStep == 2)
    #expect(c.keys[1].absoluteStep == 2 && c.keys[1].largestAbsolute == 0.25)
  }

  @Test func aToleranceHidesSmallMoves() {
    var changed = Self.base
    changed[1] = #"{"step":1,"loss_cce":0.40001,"grad_cce":0.9}"#
    let loose = compareStepLogs(
      id: "x", Self.log(Self.base), Self.log(changed),
      tolerance: Tolerance(atolByName: ["loss_cce": 1e-4]))
    #expect(loose.same)
    let exact = compareStepLogs(id: "x", Self.log(Self.base), Self.log(changed), tolerance: .exact)
    #expect(exact.differingRecords == 1)
  }

  @Test func aMissingRecordOrANullCounts() {
    let shorter = Array(Self.base.prefix(2))
    let c = compareStepLogs(id: "x", Self.log(Self.base), Self.log(shorter), tolerance: .exact)
    #expect(c.differingRecords == 1 && c.firstDifferingStep == 2)
    #expect(c.keys.map(\.key) == ["(record)"])
    var nulled = Self.base
    nulled[0] = #"{"step":0,"loss_cce":null,"grad_cce":1,"accuracy":0.5}"#
    let n = compareStepLogs(
      id: "x", Self.log(Self.base), Self.log(nulled), tolerance: Tolerance(atol: 10))
    #expect(n.keys.map(\.key) == ["loss_cce"] && n.keys[0].largestAbsolute == nil)
  }

  /// Two sweep directories with the same two cells; B's first step log then gets damaged.
  static func makePair() throws -> (TemporaryDirectory, TemporaryDirectory, SweepManifest) {
    let a = try TemporaryDirectory()
    let b = try TemporaryDirectory()
    var cells: [CellManifest] = []
    for (i, hex) in [fakeID("l1"), fakeID("l2")].enumerated() {
      for directory in [a, b] {
        let writer = try CellWriter(
          directory: SweepDirectory(directory.path), id: testID(hex),
          canonicalConfig: configJSON(seed: i),
          config: sampleConfig(seed: UInt64(i)))
        for record in sampleRecords(30) { try writer.append(record) }
        let cell = try writer.finish(status: .ok, stepsRun: 30, run: .object([:]))
        if directory.path == a.path { cells.append(cell) }
      }
    }
    let manifest = SweepManifest(
      name: "t", specPath: "t.yaml", specSHA256: fakeID("t"), toolVersion: "0", cells: cells,
      missing: [], run: .object([:]))
    return (a, b, manifest)
  }

  @Test func aFlippedByteInAGzipFileIsCaughtThoughTheManifestsAgree() throws {
    let (a, b, manifest) = try Self.makePair()
    defer {
      a.cleanup()
      b.cleanup()
    }
    let same = LogDiff.compare(
      manifest, directoryA: a.path, manifest, directoryB: b.path, tolerance: .exact)
    #expect(same.isEmpty && same.compared.count == 2)
    #expect(ManifestDiff.compare(manifest, manifest, tolerance: 0).isEmpty)
    try flipByte(SweepDirectory(b.path).cellLog(testID(fakeID("l1"))), at: 40)
    let damaged = LogDiff.compare(
      manifest, directoryA: a.path, manifest, directoryB: b.path, tolerance: .exact)
    #expect(damaged.differing.map(\.id) == [fakeID("l1")])
    #expect(damaged.text.contains("1 unreadable") || damaged.text.contains("1 differ"))
    #expect(damaged.json["differing"]?.arrayValue?.count == 1)
  }
}
