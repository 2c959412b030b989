// Tests of which sweep `sweep merge` assembles: the recorded one by default, and never another.
import Artifacts
import Foundation
import SweepSpec
import Testing

@testable import Orchestrator

private let text = "name: m\ngrid:\n  loss: [cce, dice]\nfixed: {iterations: 3}\n"

private func directoryWithSpec() throws -> (directory: String, spec: String) {
  let directory = FileManager.default.temporaryDirectory.path + "/merge-" + UUID().uuidString
  try FileManager.default.createDirectory(
    atPath: directory + "/m/cells", withIntermediateDirectories: true)
  let spec = directory + "/m.yaml"
  try text.write(toFile: spec, atomically: true, encoding: .utf8)
  return (directory, spec)
}

@Test func mergeWithNoSweepFileUsesTheRecordedSweepAndItsOverrides() throws {
  let (directory, spec) = try directoryWithSpec()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  try ResolvedSweep(specPath: spec, specText: text, overrides: ["iterations=2"], maxCells: 100)
    .write(to: directory + "/m")
  let sweep = try sweepForMerge(
    sweepDirectory: directory + "/m", sweepFile: nil, overrides: [], maxCells: 100_000)
  #expect(sweep.cells.count == 2)
  #expect(sweep.cells.allSatisfy { $0.config.iterations == 2 })
}

@Test func mergeRefusesASweepOtherThanTheRecordedOne() throws {
  let (directory, spec) = try directoryWithSpec()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  try ResolvedSweep(specPath: spec, specText: text, overrides: ["iterations=2"], maxCells: 100)
    .write(to: directory + "/m")
  // The run's --set forgotten: every cell id differs.
  #expect(throws: OrchestratorError.self) {
    _ = try sweepForMerge(
      sweepDirectory: directory + "/m", sweepFile: spec, overrides: [], maxCells: 100_000)
  }
  let same = try sweepForMerge(
    sweepDirectory: directory + "/m", sweepFile: spec, overrides: ["iterations=2"],
    maxCells: 100_000)
  #expect(same.cells.count == 2)
}

@Test func withoutARecordMergeRefusesToDropListedCells() throws {
  let (directory, spec) = try directoryWithSpec()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let run = try Sweep.load(path: spec, overrides: ["iterations=2"])
  let listed = run.cells.map { cell in
    CellManifest(
      id: cell.id, config: cell.canonicalConfig, seed: 1, status: .ok, divergedStep: nil,
      stepsRun: 2, records: 2, ndjsonSHA256: "", gzipSHA256: "", gzipBytes: 0,
      metrics: CellMetrics(), run: .object([:]))
  }
  try SweepManifest(
    name: "m", specPath: spec, specSHA256: run.specSHA256, toolVersion: "0", cells: listed,
    missing: [], run: .object([:])
  ).write(to: directory + "/m")
  #expect(throws: OrchestratorError.self) {
    _ = try sweepForMerge(
      sweepDirectory: directory + "/m", sweepFile: spec, overrides: [], maxCells: 100_000)
  }
  #expect(throws: OrchestratorError.self) {
    _ = try sweepForMerge(
      sweepDirectory: directory + "/m", sweepFile: nil, overrides: [], maxCells: 100_000)
  }
}

/// A sweep of two small real cells, run into `<root>/t`.
private func directoryWithRunCells() throws -> (root: String, sweep: Sweep, directory: String) {
  let root = FileManager.default.temporaryDirectory.path + "/merge-twice-" + UUID().uuidString
  let sweep = try Sweep.parse(
    text:
      "name: t\ngrid:\n  loss: [cce, dice]\nfixed: {iterations: 3, image_size: 8, eval_images: 2}\n",
    path: "t.yaml")
  let directory = SweepDirectory(root + "/t")
  for cell in sweep.cells { _ = try runCell(CellJob(cell), in: directory) }
  return (root, sweep, directory.path)
}

@Test func mergingTheSameCellsTwiceGivesTheSameBytes() throws {
  let (root, sweep, directory) = try directoryWithRunCells()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let layout = SweepDirectory(directory)
  let files = [layout.sweepManifest, layout.summaryMarkdown, layout.summaryCSV]
  let first = try mergeSweep(sweep, sweepDirectory: directory, deep: true)
  #expect(first.missing.isEmpty && first.damaged.isEmpty)
  let bytes = files.map { FileManager.default.contents(atPath: $0) }
  let second = try mergeSweep(sweep, sweepDirectory: directory, deep: true)
  #expect(second.manifest == first.manifest)
  #expect(files.map { FileManager.default.contents(atPath: $0) } == bytes)
  #expect(bytes.allSatisfy { $0 != nil })
}

@Test func mergeCountsAFailedCellAsMissingWithItsMessage() throws {
  let (root, sweep, directory) = try directoryWithRunCells()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let layout = SweepDirectory(directory)
  let lost = sweep.cells[1].id
  try FileManager.default.removeItem(atPath: layout.cellManifest(lost))
  FailureMarker.write(lost, in: layout, message: "worker crashed")
  let merge = try mergeSweep(sweep, sweepDirectory: directory)
  #expect(merge.missing.map(\.id) == [lost])
  #expect(merge.failed.map(\.message) == ["worker crashed"])
  #expect(merge.manifest.missing == [lost.hex])
  let status = SweepStatus(sweep: sweep, sweepDirectory: directory)
  #expect(status.states.map(\.state) == [.done, .failed])
}

@Test func theGitCommitIsFoundInACheckoutAndInAWorktree() throws {
  let root = FileManager.default.temporaryDirectory.path + "/git-" + UUID().uuidString
  defer { try? FileManager.default.removeItem(atPath: root) }
  let fm = FileManager.default
  let main = "1111111111111111111111111111111111111111"
  let branch = "2222222222222222222222222222222222222222"
  try fm.createDirectory(atPath: root + "/repo/.git/refs/heads", withIntermediateDirectories: true)
  try fm.createDirectory(atPath: root + "/repo/sub", withIntermediateDirectories: true)
  try "ref: refs/heads/main\n".write(
    toFile: root + "/repo/.git/HEAD", atomically: true, encoding: .utf8)
  try (main + "\n").write(
    toFile: root + "/repo/.git/refs/heads/main", atomically: true, encoding: .utf8)
  try "# pack-refs\n\(branch) refs/heads/wt\n".write(
    toFile: root + "/repo/.git/packed-refs", atomically: true, encoding: .utf8)
  #expect(gitCommit(from: root + "/repo/sub") == main)
  // A worktree: `.git` is a file naming its git directory, whose refs live in the common one.
  let gitdir = root + "/repo/.git/worktrees/wt"
  try fm.createDirectory(atPath: gitdir, withIntermediateDirectories: true)
  try fm.createDirectory(atPath: root + "/wt", withIntermediateDirectories: true)
  try "gitdir: \(gitdir)\n".write(toFile: root + "/wt/.git", atomically: true, encoding: .utf8)
  try "ref: refs/heads/wt\n".write(toFile: gitdir + "/HEAD", atomically: true, encoding: .utf8)
  try "../..\n".write(toFile: gitdir + "/commondir", atomically: true, encoding: .utf8)
  #expect(gitCommit(from: root + "/wt") == branch)
}
