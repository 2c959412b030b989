// Tests for Render.swift: deterministic bytes and atomic writing of the report directory.

import Foundation
import Testing
import TrainingCore

@testable import Report

private func sampleInput() -> ReportInput {
  var cells: [ReportCell] = []
  for theta in [0.05, 0.95] {
    for loss in [Loss.cce, .dicefg] {
      cells.append(cell(config(loss: loss, theta: theta, iterations: 301)))
    }
  }
  cells[1].series.losses[.dice]?[7] = nil
  return ReportInput(sweepName: "sample", cells: cells)
}

@Test func sameInputGivesIdenticalBytes() {
  let options = ReportOptions(smooth: 3, maxPoints: 100)
  let a = renderReport(sampleInput(), options: options)
  let b = renderReport(sampleInput(), options: options)
  #expect(a.map(\.path) == b.map(\.path))
  #expect(a.map(\.bytes) == b.map(\.bytes))
  #expect(a.first?.path == "index.html")
  // index.html, five claim figures, two figures.
  #expect(a.count == 8)
  #expect(a.map(\.path).filter { $0.hasPrefix("claim-") } == (1...5).map { "claim-\($0).svg" })
  // Cell order in the input does not matter either.
  var shuffled = sampleInput()
  shuffled.cells.reverse()
  #expect(renderReport(shuffled, options: options).map(\.bytes) == a.map(\.bytes))
}

@Test func smoothingChangesTheFigures() {
  let plain = renderReport(sampleInput(), options: ReportOptions(smooth: 1))
  let smooth = renderReport(sampleInput(), options: ReportOptions(smooth: 9))
  #expect(plain.last?.bytes != smooth.last?.bytes)
}

@Test func writeReportWritesEveryFileAndDropsStaleFigures() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "report-write-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
  ).path
  defer { try? FileManager.default.removeItem(atPath: dir) }
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/fig-stale.svg"))
  try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/notes.txt"))
  let options = ReportOptions()
  try writeReport(sampleInput(), options: options, to: dir)
  let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
  let expected = renderReport(sampleInput(), options: options)
  #expect(names == (expected.map(\.path) + ["notes.txt"]).sorted())
  for file in expected {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file.path)))
    #expect(bytes == file.bytes)
  }
}

@Test func writeReportFailsWithAClearError() {
  #expect(throws: ReportError.self) {
    try writeReport(sampleInput(), options: ReportOptions(), to: "/proc/no-such-dir/report")
  }
}

@Test func writeReportNamesThePathWithoutFoundationNoise() throws {
  let dir = FileManager.default.temporaryDirectory.path + "/report-file-" + UUID().uuidString
  defer { try? FileManager.default.removeItem(atPath: dir) }
  try Data().write(to: URL(fileURLWithPath: dir))  // a file where the report's parent should be
  do {
    try writeReport(sampleInput(), options: ReportOptions(), to: dir + "/report")
    Issue.record("a report was written under a file")
  } catch {
    #expect(
      "\(error)"
        == "\(dir): cannot write: cannot create the directory: a regular file of that "
        + "name is in the way")
  }
}
