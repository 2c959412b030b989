// Tests of the manifest diff.

import CanonicalJSON
import Testing

@testable import Artifacts

@Suite struct ManifestDiffTests {
  static func manifest(_ cells: [CellManifest], host: String = "a") -> SweepManifest {
    SweepManifest(
      name: "n", specPath: "p", specSHA256: fakeID("s"), toolVersion: "0", cells: cells,
      missing: [], run: .object(["host": .string(host)]))
  }

  static let base = [
    cellManifest("x", config: configJSON(seed: 1), finalAccuracy: 0.9),
    cellManifest("y", config: configJSON(seed: 2), finalAccuracy: 0.8),
  ]

  @Test func identicalManifestsDifferOnlyInRunGiveNoRows() {
    let diff = ManifestDiff.compare(
      Self.manifest(Self.base, host: "a"), Self.manifest(Self.base, host: "b"), tolerance: 0)
    #expect(diff.isEmpty)
    #expect(diff.table(limit: nil).hasPrefix("no differences"))
  }

  @Test func onlyInAAndOnlyInB() {
    let extra = cellManifest("z", config: configJSON(seed: 3), finalAccuracy: 0.7)
    let diff = ManifestDiff.compare(
      Self.manifest([Self.base[0]]), Self.manifest([Self.base[0], extra]), tolerance: 0)
    #expect(diff.counts == [.onlyInB: 1])
    let reverse = ManifestDiff.compare(
      Self.manifest([Self.base[0], extra]), Self.manifest([Self.base[0]]), tolerance: 0)
    #expect(reverse.counts == [.onlyInA: 1])
    #expect(reverse.rows[0].id == extra.id)
  }

  @Test func hashStatusAndConfigChanges() {
    var changed = Self.base
    changed[0].ndjsonSHA256 = fakeID("other")
    changed[1].status = "diverged"
    changed[1].config = configJSON(seed: 2, learningRate: 0.5)
    let diff = ManifestDiff.compare(Self.manifest(Self.base), Self.manifest(changed), tolerance: 0)
    #expect(diff.counts == [.contentChanged: 1, .statusChanged: 1, .configChanged: 1])
    #expect(diff.rows.contains { $0.kind == .configChanged && $0.field == "learning_rate" })
  }

  @Test(arguments: [(0.0005, false), (0.002, true)])
  func metricMovesAreComparedWithTheTolerance(move: Double, reported: Bool) {
    var changed = Self.base
    changed[0].metrics.finalAccuracy = 0.9 + move
    let diff = ManifestDiff.compare(
      Self.manifest(Self.base), Self.manifest(changed), tolerance: 0.001)
    #expect(diff.isEmpty == !reported)
    if reported {
      #expect(diff.rows.map(\.field) == ["final_accuracy"])
      #expect(abs((diff.rows[0].delta ?? 0) - move) < 1e-12)
    }
  }

  @Test func nullAgainstNumberIsAChange() {
    var changed = Self.base
    changed[1].metrics.finalLosses["dice"] = 0.5
    let diff = ManifestDiff.compare(Self.manifest(Self.base), Self.manifest(changed), tolerance: 10)
    #expect(diff.rows.map(\.field) == ["final_losses.dice"])
    #expect(diff.rows[0].a == .null && diff.rows[0].delta == nil)
  }

  @Test func tableAndJSON() {
    var changed = Self.base
    changed[0].metrics.bestAccuracy = 0.5
    changed[1].ndjsonSHA256 = fakeID("other")
    let diff = ManifestDiff.compare(Self.manifest(Self.base), Self.manifest(changed), tolerance: 0)
    let table = diff.table(limit: 1)
    #expect(table.contains("content hash changed  1\n"))
    #expect(table.contains("metric changed        1\n"))
    #expect(table.contains("kind"))
    #expect(table.contains("… 1 more row\n"))
    #expect(diff.json["counts"]?["metric changed"] == .number(1))
    #expect(diff.json["rows"]?.arrayValue?.count == 2)
  }
}
