// Tests of `verifySweep` on a real sweep directory with damage done to it.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct VerifyTests {
  static let cells = [realCell(iterations: 12, seed: 0), realCell(iterations: 13, seed: 1)]
  static let ids = cells.map(\.hex)

  /// A sweep directory with two cells and a matching manifest.json.
  static func makeSweep() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory()
    var manifests: [CellManifest] = []
    for (i, cell) in cells.enumerated() {
      let writer = try CellWriter(
        directory: SweepDirectory(directory.path), id: testID(cell.hex),
        canonicalConfig: cell.canonical,
        config: cell.config)
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

@Suite struct VerifyClaimsTests {
  /// Rewrites `cells/<id>.json` (and its entry in manifest.json, when `entry` is set) by `change`.
  static func edit(
    _ directory: TemporaryDirectory, _ hex: String, entry: Bool = false,
    _ change: (inout [String: JSONValue]) -> Void
  ) throws {
    let path = "\(directory.path)/cells/\(hex).json"
    guard case .object(var members) = try JSONValue(parsing: try readFile(path)) else { return }
    change(&members)
    try writeAtomically(Array(JSONValue.object(members).prettyText.utf8), to: path)
    if entry {
      var sweep = try SweepManifest.load(path: directory.path)
      let cell = try CellManifest.load(path: path)
      sweep.cells = sweep.cells.map { $0.id == hex ? SweepManifest.Entry(cell) : $0 }
      try sweep.write(to: directory.path)
    }
  }

  @Test func aConfigEditedInBothManifestsIsCaught() throws {
    let directory = try VerifyTests.makeSweep()
    defer { directory.cleanup() }
    let hex = VerifyTests.ids[0]
    try Self.edit(directory, hex, entry: true) { members in
      guard case .object(var config) = members["config"] else { return }
      config["learning_rate"] = .number(0.5)
      members["config"] = .object(config)
    }
    let problems = verifySweep(directory: directory.path)
    #expect(VerifyTests.kinds(problems) == [.inconsistentManifest])
    #expect(problems.first?.message.hasPrefix("its id is not the hash of its config") == true)
  }

  @Test func aStatusEditedInBothManifestsIsCaught() throws {
    let directory = try VerifyTests.makeSweep()
    defer { directory.cleanup() }
    let hex = VerifyTests.ids[0]
    // A consistent-looking claim of divergence at the last step: only the log contradicts it.
    try Self.edit(directory, hex, entry: true) { members in
      members["status"] = .string("diverged")
      members["diverged_step"] = .number(11)
    }
    let problems = verifySweep(directory: directory.path)
    #expect(VerifyTests.kinds(problems) == [.statusMismatch])
    #expect(
      problems.first?.message
        == "status diverged at step 11, steps_run 12, but the records end at step 11 with "
        + "finite values")
  }

  @Test func cellsOfTheRecordedSweepThatAreGoneAreReported() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let record = ResolvedSweep(
      specPath: "r.yaml", specText: "name: r\ngrid:\n  loss: [cce, dice]\nfixed: {iterations: 3}\n",
      overrides: [], maxCells: 100_000)
    try record.write(to: directory.path)
    let sweep = try record.expand()
    let kept = sweep.cells[0]
    let writer = try CellWriter(
      directory: SweepDirectory(directory.path), id: kept.id, canonicalConfig: kept.canonicalConfig,
      config: kept.config)
    for r in sampleRecords(3) { try writer.append(r) }
    let manifest = try writer.finish(status: .ok, stepsRun: 3, run: .object([:]))
    // The sweep manifest lists only the kept cell: the other was deleted with its entry.
    try SweepManifest(
      name: "r", specPath: "r.yaml", specSHA256: record.specSHA256, toolVersion: "0",
      cells: [manifest], missing: [], run: .object([:])
    ).write(to: directory.path)
    let problems = verifySweep(directory: directory.path)
    #expect(VerifyTests.kinds(problems) == [.missingCell])
    #expect(problems.first?.file.hasSuffix("\(sweep.cells[1].id.hex).json") == true)
  }

  @Test func missingCellsListedInTheManifestAreReported() throws {
    let directory = try VerifyTests.makeSweep()
    defer { directory.cleanup() }
    var sweep = try SweepManifest.load(path: directory.path)
    sweep.missing = [fakeID("gone")]
    try sweep.write(to: directory.path)
    let problems = verifySweep(directory: directory.path)
    #expect(VerifyTests.kinds(problems) == [.missingCell])
  }
}
