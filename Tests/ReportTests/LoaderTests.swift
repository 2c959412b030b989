// Tests for Loader.swift: a sweep directory written by Artifacts read back as a report input.

import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import Synchronization
import Testing
import TrainingCore

@testable import Report

/// Writes a two-cell sweep (one diverged) into a fresh directory and returns its path.
private func writeSweep(missing: [String] = []) throws -> (dir: String, cells: [Cell]) {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "report-load-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
  ).path
  var cells: [Cell] = []
  var manifests: [CellManifest] = []
  for (i, loss) in [Loss.cce, .dicefg].enumerated() {
    var c = config(loss: loss, theta: 0.05, iterations: 4)
    c.track = [.cce, .dicefg]
    let cell = Cell(config: c)
    cells.append(cell)
    let writer = try CellWriter(
      directory: SweepDirectory(dir), id: cell.id, canonicalConfig: cell.canonicalConfig, config: c)
    for step in 0..<4 {
      let bad = i == 1 && step == 3
      try writer.append(
        StepRecord(
          step: step, losses: [0.7 - Float(step) * 0.1, bad ? .nan : 0.5],
          gradNorms: [0.01 * Float(step + 1), 0.02], accuracy: step % 2 == 0 ? 0.9 : nil))
    }
    manifests.append(
      try writer.finish(
        status: i == 1 ? .diverged(step: 3) : .ok, stepsRun: 4, run: .object([:])))
  }
  let manifest = SweepManifest(
    name: "load-test", specPath: "x.yaml", specSHA256: "00", toolVersion: "test",
    cells: manifests, missing: missing, run: .object([:]))
  try manifest.write(to: dir)
  return (dir, cells)
}

@Test func loaderReadsConfigsStatusAndSeries() throws {
  let (dir, cells) = try writeSweep(missing: ["ff" + String(repeating: "0", count: 62)])
  defer { try? FileManager.default.removeItem(atPath: dir) }
  for path in [dir, dir + "/manifest.json"] {
    let input = try loadReportInput(sweepDirectory: path)
    #expect(input.sweepName == "load-test")
    #expect(input.cells.map(\.id) == cells.map(\.id.hex).sorted())
    #expect(input.missingIDs.count == 1)
    let diverged = try #require(input.cells.first { $0.config.loss == .dicefg })
    #expect(diverged.status == .diverged)
    #expect(diverged.config == cells[1].config)
    #expect(diverged.series.steps == [0, 1, 2, 3])
    #expect(diverged.series.losses[.dicefg] == [0.5, 0.5, 0.5, nil])
    #expect(diverged.series.gradNorms[.cce]?.count == 4)
    #expect(diverged.series.accuracy.map(\.step) == [0, 2])
  }
}

@Test func loaderMarksCellsWithoutAStepLogMissing() throws {
  let (dir, cells) = try writeSweep()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  try FileManager.default.removeItem(
    atPath: SweepDirectory(dir).cellLog(cells[0].id))
  let input = try loadReportInput(sweepDirectory: dir)
  let cell = try #require(input.cells.first { $0.id == cells[0].id.hex })
  #expect(cell.status == .missing)
  #expect(cell.series.steps.isEmpty)
}

@Test func loaderRejectsAStepLogThatDoesNotMatchTheManifest() throws {
  let (dir, cells) = try writeSweep()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let path = SweepDirectory(dir).cellLog(cells[0].id)
  try Data(try gzip(Array("{\"step\":0}\n".utf8))).write(to: URL(fileURLWithPath: path))
  #expect {
    _ = try loadReportInput(sweepDirectory: dir)
  } throws: { error in
    guard case .contentMismatch(let p, _, _) = error as? ReportError else { return false }
    return p == path
  }
}

@Test func loaderReportsAMissingManifest() {
  #expect(throws: ReportError.self) {
    _ = try loadReportInput(sweepDirectory: "/nonexistent/sweep")
  }
}

@Test func loaderReadsASpecManifestUnderManifests() throws {
  let (dir, cells) = try writeSweep()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let manifest = try SweepManifest.load(path: dir)
  try SpecManifests.record(manifest, in: dir)
  let path = SpecManifests.manifestPath(in: dir, key: SpecManifests.key(of: manifest))
  let input = try loadReportInput(sweepDirectory: path)
  #expect(input.cells.map(\.id) == cells.map(\.id.hex).sorted())
  #expect(input.cells.allSatisfy { !$0.series.steps.isEmpty })
}

@Test func loaderReportsProgressOncePerLog() throws {
  let (dir, _) = try writeSweep()
  defer { try? FileManager.default.removeItem(atPath: dir) }
  let counts = Mutex<[Int]>([])
  _ = try loadReportInput(sweepDirectory: dir) { done, total in
    #expect(total == 2)
    counts.withLock { $0.append(done) }
  }
  #expect(counts.withLock { $0 } == [1, 2])
}
