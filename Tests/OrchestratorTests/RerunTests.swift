// Tests of `rerunCell`: a stored log that cannot be read is said to be unreadable (never
// compared as empty), and `--results` takes a results root as well as a sweep directory.
import Artifacts
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

/// A sweep directory `<root>/s` holding one real, small cell.
private func directoryWithACell() throws -> (root: String, directory: String, id: CellID) {
  let root = FileManager.default.temporaryDirectory.path + "/rerun-" + UUID().uuidString
  var config = TrainingConfig()
  config.iterations = 3
  config.imageSize = 8
  config.evalImages = 2
  let cell = Cell(config: config)
  _ = try runCell(CellJob(cell), in: SweepDirectory(root + "/s"))
  return (root, root + "/s", cell.id)
}

@Test func anIntactCellReproduces() throws {
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let outcome = try rerunCell(id, sweepDirectory: directory, replace: false)
  #expect(outcome.reproduced)
  #expect(outcome.unreadableLog == nil)
  #expect(outcome.diskGzipSHA256 == outcome.manifestGzipSHA256)
}

@Test func aTruncatedLogIsUnreadableNotDifferent() throws {
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let log = SweepDirectory(directory).cellLog(id)
  #expect(truncate(log, 30) == 0)
  let outcome = try rerunCell(id, sweepDirectory: directory, replace: false)
  #expect(!outcome.reproduced)
  #expect(outcome.comparison == nil)
  #expect(outcome.unreadableLog?.contains("truncated") == true, "\(outcome.unreadableLog ?? "")")
  #expect(outcome.diskGzipSHA256 != nil && outcome.diskGzipSHA256 != outcome.manifestGzipSHA256)
}

@Test func aMissingLogIsUnreadable() throws {
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  try FileManager.default.removeItem(atPath: SweepDirectory(directory).cellLog(id))
  let outcome = try rerunCell(id, sweepDirectory: directory, replace: false)
  #expect(outcome.unreadableLog == "the file does not exist")
  #expect(outcome.diskGzipSHA256 == nil)
}

@Test func rerunLooksInsideAResultsRoot() throws {
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  #expect(try rerunDirectories(results: root) == [directory])
  #expect(try rerunDirectories(results: directory) == [directory])
  #expect(try locateCell(String(id.hex.prefix(8)), in: rerunDirectories(results: root)).id == id)
}
