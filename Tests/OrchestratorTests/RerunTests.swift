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

@Test func replaceWritesTheSameBytesAndKeepsTheCellDone() throws {
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let layout = SweepDirectory(directory)
  let before = FileManager.default.contents(atPath: layout.cellLog(id))
  let outcome = try rerunCell(id, sweepDirectory: directory, replace: true)
  #expect(outcome.reproduced)
  #expect(FileManager.default.contents(atPath: layout.cellLog(id)) == before)
  #expect(checkCell(id, in: layout, deep: true).isDone)
}

@Test func aManifestWhoseConfigIsAnotherCellsIsNotRerun() throws {
  // Rerunning would recompute some other cell and, with --replace, store it under this id.
  let (root, directory, id) = try directoryWithACell()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let layout = SweepDirectory(directory)
  var manifest = try CellManifest.load(path: layout.cellManifest(id))
  guard case .object(var members) = manifest.config else { throw CancellationError() }
  members["seed"] = .number(42)
  manifest.config = .object(members)
  try Data(manifest.json.prettyText.utf8).write(
    to: URL(fileURLWithPath: layout.cellManifest(id)))
  let stored = FileManager.default.contents(atPath: layout.cellLog(id))
  #expect {
    _ = try rerunCell(id, sweepDirectory: directory, replace: true)
  } throws: { error in
    "\(error)".hasPrefix("cell \(id.short) (\(directory)): its id is not the hash of its config")
  }
  #expect(FileManager.default.contents(atPath: layout.cellLog(id)) == stored)
}
