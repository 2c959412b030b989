// Tests of CellWriter end to end in a temporary directory, and of the resume check.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct CellWriterTests {
  /// A real cell of 10 steps: its manifest's claims hold when it is written with 10 records.
  static let cell = realCell(iterations: 10)
  static let hex = cell.hex

  /// Writes `records` as the cell `cell` and returns its manifest.
  static func writeCell(
    _ directory: TemporaryDirectory, records: [StepRecord], status: RunStatus = .ok
  ) throws -> CellManifest {
    let writer = try CellWriter(
      directory: SweepDirectory(directory.path), id: testID(hex), canonicalConfig: cell.canonical,
      config: cell.config)
    for record in records { try writer.append(record) }
    return try writer.finish(
      status: status, stepsRun: records.count, run: .object(["host": .string("test")]))
  }

  @Test func writesFilesWhoseHashesMatch() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let records = sampleRecords(10)
    let manifest = try Self.writeCell(directory, records: records)

    #expect(directory.files("cells") == ["\(Self.hex).json", "\(Self.hex).ndjson.gz"])
    let encoded = try StepLogCodec.encode(records: records, track: Loss.allCases)
    let gz = try [UInt8](
      Data(
        contentsOf: URL(fileURLWithPath: SweepDirectory(directory.path).cellLog(testID(Self.hex)))
      ))
    #expect(gz == encoded.gzip)
    #expect(try gunzip(gz) == encoded.ndjson)
    #expect(manifest.ndjsonSHA256 == sha256Hex(encoded.ndjson))
    #expect(manifest.gzipSHA256 == sha256Hex(gz))
    #expect(manifest.gzipBytes == gz.count)
    #expect(manifest.records == 10)
    #expect(manifest.status == .ok && manifest.divergedStep == nil)
    #expect(manifest.run["host"]?.stringValue == "test")

    let stored = try CellManifest.load(
      path: SweepDirectory(directory.path).cellManifest(testID(Self.hex)))
    #expect(stored == manifest)
    #expect(cellIsDone(testID(Self.hex), in: SweepDirectory(directory.path)))
  }

  @Test func metricsFollowTheRecords() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let records = [
      StepRecord(step: 0, losses: [1, 2, 3, 4, 5], gradNorms: [1, 1, 1, 1, 1], accuracy: 0.5),
      StepRecord(step: 1, losses: [1, 2, 3, 4, 5], gradNorms: [1, 1, 1, 1, 1], accuracy: 0.75),
      StepRecord(step: 2, losses: [1, 2, 3, 4, 5], gradNorms: [1, 1, 1, 1, 1], accuracy: 0.75),
      StepRecord(
        step: 3, losses: [0.5, .nan, 3, 4, 5], gradNorms: [2, 2, .infinity, 2, 2], accuracy: 0.625),
      StepRecord(
        step: 4, losses: [0.25, .nan, 3, 4, 0.1], gradNorms: [3, 2, .infinity, 2, 2], accuracy: nil),
    ]
    let manifest = try Self.writeCell(directory, records: records, status: .diverged(step: 4))
    #expect(manifest.status == .diverged && manifest.divergedStep == 4)
    #expect(manifest.runStatus == .diverged(step: 4))
    #expect(manifest.metrics.finalAccuracy == 0.625 && manifest.metrics.finalAccuracyStep == 3)
    #expect(manifest.metrics.bestAccuracy == 0.75 && manifest.metrics.bestAccuracyStep == 1)
    #expect(manifest.metrics.finalLosses["cce"] == 0.25)
    #expect(manifest.metrics.finalLosses["dicefg_square"] == 0.1)
    #expect(manifest.metrics.finalLosses["dice"] == .some(nil))
    #expect(manifest.metrics.finalGradNorms["dice_square"] == .some(nil))
    #expect(manifest.metrics.finalGradNorms.count == 5)
  }

  @Test func flippedByteMakesTheCellNotDone() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    _ = try Self.writeCell(directory, records: sampleRecords(10))
    #expect(cellIsDone(testID(Self.hex), in: SweepDirectory(directory.path)))
    try flipByte(SweepDirectory(directory.path).cellLog(testID(Self.hex)), at: 20)
    #expect(!cellIsDone(testID(Self.hex), in: SweepDirectory(directory.path)))
  }

  @Test func missingManifestOrLogMeansNotDone() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    #expect(!cellIsDone(testID(Self.hex), in: SweepDirectory(directory.path)))
    _ = try Self.writeCell(directory, records: sampleRecords(4))
    try FileManager.default.removeItem(
      atPath: SweepDirectory(directory.path).cellLog(testID(Self.hex)))
    #expect(!cellIsDone(testID(Self.hex), in: SweepDirectory(directory.path)))
  }

  @Test func abandonLeavesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let writer = try CellWriter(
      directory: SweepDirectory(directory.path), id: testID(Self.hex),
      canonicalConfig: configJSON(),
      config: sampleConfig())
    try writer.append(sampleRecords(1)[0])
    #expect(
      directory.files("cells") == ["\(Self.hex).ndjson.gz.\(getpid())@\(temporaryHostName()).tmp"])
    writer.abandon()
    #expect(directory.files("cells").isEmpty)
    #expect(throws: ArtifactsError.self) { try writer.append(sampleRecords(1)[0]) }
  }

  @Test func droppingAnUnfinishedWriterRemovesItsTemporaryFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    do {
      let writer = try CellWriter(
        directory: SweepDirectory(directory.path), id: testID(Self.hex),
        canonicalConfig: configJSON(),
        config: sampleConfig())
      try writer.append(sampleRecords(1)[0])
    }
    #expect(directory.files("cells").isEmpty)
  }

  @Test func rewritingACellGivesTheSameBytes() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let first = try Self.writeCell(directory, records: sampleRecords(30))
    let second = try Self.writeCell(directory, records: sampleRecords(30))
    #expect(first == second)
    #expect(directory.files("cells").count == 2)
  }
}

@Suite struct CellCheckTests {
  static func writeCell(_ directory: TemporaryDirectory) throws -> CellManifest {
    try CellWriterTests.writeCell(directory, records: sampleRecords(10))
  }

  static func edit(_ directory: TemporaryDirectory, _ change: (inout [String: JSONValue]) -> Void)
    throws
  {
    let path = SweepDirectory(directory.path).cellManifest(testID(CellWriterTests.hex))
    guard case .object(var members) = try JSONValue(parsing: try readFile(path)) else { return }
    change(&members)
    try writeAtomically(Array(JSONValue.object(members).prettyText.utf8), to: path)
  }

  func check(_ directory: TemporaryDirectory, deep: Bool = false) -> CellCondition {
    checkCell(testID(CellWriterTests.hex), in: SweepDirectory(directory.path), deep: deep)
  }

  @Test func aWrittenCellIsDoneAndAnUnwrittenOneAbsent() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    #expect(check(directory) == .absent)
    let manifest = try Self.writeCell(directory)
    #expect(check(directory) == .done(manifest))
    #expect(check(directory, deep: true) == .done(manifest))
  }

  @Test func anEditedRecordCountIsDamageEvenCheaply() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    _ = try Self.writeCell(directory)
    try Self.edit(directory) { $0["records"] = .number(3) }
    #expect(
      check(directory)
        == .damaged(
          "its manifest is wrong: records is 3, but 10 steps of this config log 10 records"))
  }

  @Test func anEditedMetricIsDamageWhenCheckedDeeply() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    _ = try Self.writeCell(directory)
    try Self.edit(directory) { members in
      guard case .object(var metrics) = members["metrics"] else { return }
      metrics["final_accuracy"] = .number(0.123)
      members["metrics"] = .object(metrics)
    }
    #expect(check(directory).isDone)
    guard case .damaged(let why) = check(directory, deep: true) else {
      Issue.record("an edited metric passed the deep check")
      return
    }
    #expect(why.hasPrefix("metrics mismatch: final_accuracy manifest 0.123, records "))
  }

  @Test func aMissingOrChangedLogIsNamed() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    _ = try Self.writeCell(directory)
    let log = SweepDirectory(directory.path).cellLog(testID(CellWriterTests.hex))
    try flipByte(log, at: 20)
    guard case .damaged(let why) = check(directory) else {
      Issue.record("a flipped byte passed")
      return
    }
    #expect(why.hasPrefix("its step log has sha256 "))
    try FileManager.default.removeItem(atPath: log)
    #expect(check(directory) == .damaged("its step log is missing"))
  }
}
