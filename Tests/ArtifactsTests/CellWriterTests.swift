// Tests of CellWriter end to end in a temporary directory, and of the resume check.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct CellWriterTests {
  static let hex = fakeID("cell")

  /// Writes a cell of `records` and returns its manifest.
  static func writeCell(
    _ directory: TemporaryDirectory, records: [StepRecord], status: RunStatus = .ok
  ) throws -> CellManifest {
    let config = sampleConfig()
    let writer = try CellWriter(
      sweepDirectory: directory.path, hex: hex, canonicalConfig: configJSON(), config: config)
    for record in records { try writer.append(record) }
    return try writer.finish(
      status: status, stepsRun: records.count, run: .object(["host": .string("test")]))
  }

  @Test func writesFilesWhoseHashesMatch() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let records = sampleRecords(20)
    let manifest = try Self.writeCell(directory, records: records)

    #expect(directory.files("cells") == ["\(Self.hex).json", "\(Self.hex).ndjson.gz"])
    let encoded = try CellWriter.encode(records: records, track: Loss.allCases)
    let gz = try [UInt8](
      Data(
        contentsOf: URL(fileURLWithPath: cellLogPath(sweepDirectory: directory.path, hex: Self.hex))
      ))
    #expect(gz == encoded.gzip)
    #expect(try gunzip(gz) == encoded.ndjson)
    #expect(manifest.ndjsonSHA256 == sha256Hex(encoded.ndjson))
    #expect(manifest.gzipSHA256 == sha256Hex(gz))
    #expect(manifest.gzipBytes == gz.count)
    #expect(manifest.records == 20)
    #expect(manifest.status == "ok" && manifest.divergedStep == nil)
    #expect(manifest.run["host"]?.stringValue == "test")

    let stored = try CellManifest.load(
      path: cellManifestPath(sweepDirectory: directory.path, hex: Self.hex))
    #expect(stored == manifest)
    #expect(cellIsDone(sweepDirectory: directory.path, hex: Self.hex))
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
    #expect(manifest.status == "diverged" && manifest.divergedStep == 4)
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
    #expect(cellIsDone(sweepDirectory: directory.path, hex: Self.hex))
    try flipByte(cellLogPath(sweepDirectory: directory.path, hex: Self.hex), at: 20)
    #expect(!cellIsDone(sweepDirectory: directory.path, hex: Self.hex))
  }

  @Test func missingManifestOrLogMeansNotDone() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    #expect(!cellIsDone(sweepDirectory: directory.path, hex: Self.hex))
    _ = try Self.writeCell(directory, records: sampleRecords(4))
    try FileManager.default.removeItem(
      atPath: cellLogPath(sweepDirectory: directory.path, hex: Self.hex))
    #expect(!cellIsDone(sweepDirectory: directory.path, hex: Self.hex))
  }

  @Test func abandonLeavesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let writer = try CellWriter(
      sweepDirectory: directory.path, hex: Self.hex, canonicalConfig: configJSON(),
      config: sampleConfig())
    try writer.append(sampleRecords(1)[0])
    #expect(directory.files("cells") == ["\(Self.hex).ndjson.gz.\(getpid()).tmp"])
    writer.abandon()
    #expect(directory.files("cells").isEmpty)
    #expect(throws: ArtifactsError.self) { try writer.append(sampleRecords(1)[0]) }
  }

  @Test func droppingAnUnfinishedWriterRemovesItsTemporaryFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    do {
      let writer = try CellWriter(
        sweepDirectory: directory.path, hex: Self.hex, canonicalConfig: configJSON(),
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
