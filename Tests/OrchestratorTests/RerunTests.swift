// Tests of `rerunCell`: a stored log that cannot be read is said to be unreadable (never
// compared as empty), and `--results` takes a results root as well as a sweep directory.
import Artifacts
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

/// A sweep directory `<root>/s` holding one real, small cell.
private func directoryWithACell() throws -> (root: String, directory: String, hex: String) {
  let root = FileManager.default.temporaryDirectory.path + "/rerun-" + UUID().uuidString
  var config = TrainingConfig()
  config.iterations = 3
  config.imageSize = 8
  config.evalImages = 2
  let cell = Cell(config: config)
  _ = try runCell(
    CellJob(hex: cell.id.hex, config: config, canonicalConfig: cell.canonicalConfig),
    sweepDirectory: root + "/s")
  return (root, root + "/s", cell.id.hex)
}

@Test func anIntactCellReproduces() throws {
  let (root, directory, hex) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let outcome = try rerunCell(hex: hex, sweepDirectory: directory, replace: false)
  #expect(outcome.reproduced)
  #expect(outcome.unreadableLog == nil)
  #expect(outcome.diskGzipSHA256 == outcome.manifestGzipSHA256)
}

@Test func aTruncatedLogIsUnreadableNotDifferent() throws {
  let (root, directory, hex) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let log = "\(directory)/cells/\(hex).ndjson.gz"
  #expect(truncate(log, 30) == 0)
  let outcome = try rerunCell(hex: hex, sweepDirectory: directory, replace: false)
  #expect(!outcome.reproduced)
  #expect(outcome.comparison == nil)
  #expect(outcome.unreadableLog?.contains("truncated") == true, "\(outcome.unreadableLog ?? "")")
  #expect(outcome.diskGzipSHA256 != nil && outcome.diskGzipSHA256 != outcome.manifestGzipSHA256)
}

@Test func aMissingLogIsUnreadable() throws {
  let (root, directory, hex) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  try FileManager.default.removeItem(atPath: "\(directory)/cells/\(hex).ndjson.gz")
  let outcome = try rerunCell(hex: hex, sweepDirectory: directory, replace: false)
  #expect(outcome.unreadableLog == "the file does not exist")
  #expect(outcome.diskGzipSHA256 == nil)
}

@Test func rerunLooksInsideAResultsRoot() throws {
  let (root, directory, hex) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  #expect(try rerunDirectories(results: root) == [directory])
  #expect(try rerunDirectories(results: directory) == [directory])
  #expect(try locateCell(String(hex.prefix(8)), in: rerunDirectories(results: root)).hex == hex)
}
