// Tests of `SweepStatus`: a cell whose temporary step log belongs to a dead process is not
// running.
import Artifacts
import Foundation
import SweepSpec
import Testing

@testable import Orchestrator

@Test func aKilledCellIsNotCalledRunning() throws {
  let directory = FileManager.default.temporaryDirectory.path + "/status-" + UUID().uuidString
  defer { try? FileManager.default.removeItem(atPath: directory) }
  try FileManager.default.createDirectory(
    atPath: directory + "/cells", withIntermediateDirectories: true)
  let sweep = try Sweep.parse(
    text: "name: s\ngrid:\n  loss: [cce, dice]\nfixed: {iterations: 3}\n", path: "s.yaml")
  let host = temporaryHostName()
  let dead = "\(sweep.cells[0].id.hex).ndjson.gz.999999999@\(host).tmp"
  let live = "\(sweep.cells[1].id.hex).ndjson.gz.\(getpid())@\(host).tmp"
  for name in [dead, live] {
    try Data("x".utf8).write(to: URL(fileURLWithPath: "\(directory)/cells/\(name)"))
  }
  let status = SweepStatus(sweep: sweep, sweepDirectory: directory)
  #expect(status.states.map(\.state) == [.missing, .running])
}
