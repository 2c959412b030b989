// Tests of `verifySweep` on a real sweep directory with damage done to it.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct VerifyTests {
  static let ids = [fakeID("v1"), fakeID("v2")]

  /// A sweep directory with two cells and a matching manifest.json.
  static func makeSweep() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    var manifests: [CellManifest] = []
    for (i, hex) in ids.enumerated() {
      let writer = try CellWriter(
        sweepDirectory: directory.path, hex: hex, canonicalConfig: configJSON(seed: i),
        config: sampleConfig(seed: UInt64(i)))
      for record in sampleRecords(12 + i) { try writer.append(record) }
      manifests.append(try writer.finish(status: .ok, stepsRun: 12 + i, run: .object([:])))
    }
    try SweepManifest(
      name: "t", specPath: "t.yaml", specSHA256: fakeID("t"), toolVersion: "0",
      cells: manifests, missing: [], run: .object([:])
    ).write(to: directory.path)
    return directory
  }

  static func kinds(_ problems: [VerifyProblem]) -> [VerifyProblem.Kind] { problems.map(\.kind) }

  func cellPath(_ directory: TemporaryDirectory, _ name: String) -> String {
    "\(directory.path)/cells/\(name)"
  }

  @Test func consistentDirectoryHasNoProblems() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try Data("x".utf8).write(to: URL(fileURLWithPath: cellPath(directory, "abc.ndjson.gz.1.tmp")))
    #expect(verifySweep(directory: directory.path) == [])
  }

  @Test func flippedByteIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try flipByte(cellPath(directory, "\(Self.ids[0]).ndjson.gz"), at: -6)
    let problems = verifySweep(directory: directory.path)
    #expect(Self.kinds(problems) == [.gzipMismatch, .corruptLog])
    #expect(
      problems[1].description
        == "\(cellPath(directory, "\(Self.ids[0]).ndjson.gz")): corrupt step log: zlib inflate "
        + "failed with Z_DATA_ERROR (-3): incorrect data check")
    #expect(problems[0].file.hasSuffix("\(Self.ids[0]).ndjson.gz"))
  }

  @Test func truncatedFileIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    let path = cellPath(directory, "\(Self.ids[1]).ndjson.gz")
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    try data.dropLast(5).write(to: URL(fileURLWithPath: path))
    let problems = verifySweep(directory: directory.path)
    #expect(Self.kinds(problems) == [.gzipMismatch, .corruptLog])
    #expect(problems[1].description.contains("truncated"))
  }

  @Test func deletedFileIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try FileManager.default.removeItem(atPath: cellPath(directory, "\(Self.ids[0]).ndjson.gz"))
    #expect(Self.kinds(verifySweep(directory: directory.path)) == [.missingLog])
  }

  @Test func editedMetricInCellManifestIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    let path = cellPath(directory, "\(Self.ids[0]).json")
    var manifest = try CellManifest.load(path: path)
    manifest.metrics.finalAccuracy = 0.99
    try writeAtomically(Array(manifest.json.prettyText.utf8), to: path)
    let problems = verifySweep(directory: directory.path)
    #expect(Self.kinds(problems) == [.metricsMismatch, .entryMismatch])
    #expect(problems[0].message.contains("final_accuracy manifest 0.99"))
    #expect(problems[1].message.contains("final_accuracy"))
  }

  @Test func editedMetricInSweepManifestIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    var manifest = try SweepManifest.load(path: directory.path)
    manifest.cells[1].metrics.finalLosses["cce"] = 1.5
    try manifest.write(to: directory.path)
    let problems = verifySweep(directory: directory.path)
    #expect(Self.kinds(problems) == [.entryMismatch])
    #expect(problems[0].file.hasSuffix("manifest.json"))
    #expect(problems[0].message.contains("final_losses.cce 1.5"))
  }

  @Test func entriesAndCellsMustMatchUp() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    var manifest = try SweepManifest.load(path: directory.path)
    let removed = manifest.cells.removeFirst()
    manifest.cells.append(
      SweepManifest.Entry(cellManifest("ghost", config: configJSON(), finalAccuracy: 0.5)))
    try manifest.write(to: directory.path)
    let problems = verifySweep(directory: directory.path)
    #expect(Set(Self.kinds(problems)) == [.entryWithoutFiles, .cellWithoutEntry])
    #expect(problems.contains { $0.file.hasSuffix("\(removed.id).json") })
  }

  @Test func unreadableManifestIsCaught() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try Data("{".utf8).write(to: URL(fileURLWithPath: cellPath(directory, "\(Self.ids[0]).json")))
    let problems = verifySweep(directory: directory.path)
    #expect(Self.kinds(problems).first == .unreadableManifest)
  }

  @Test func stepLogWithoutManifestIsReported() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try FileManager.default.copyItem(
      atPath: cellPath(directory, "\(Self.ids[0]).ndjson.gz"),
      toPath: cellPath(directory, "\(fakeID("orphan")).ndjson.gz"))
    #expect(Self.kinds(verifySweep(directory: directory.path)) == [.orphanLog])
  }

  @Test func missingSweepManifestIsReported() throws {
    let directory = try Self.makeSweep()
    defer { directory.cleanup() }
    try FileManager.default.removeItem(atPath: directory.path + "/manifest.json")
    #expect(Self.kinds(verifySweep(directory: directory.path)) == [.missingSweepManifest])
  }
}
