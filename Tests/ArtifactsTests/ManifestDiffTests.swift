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
    #expect(reverse.rows[0].id == extra.id.hex)
  }

  @Test func hashStatusAndConfigChanges() {
    var changed = Self.base
    changed[0].ndjsonSHA256 = fakeID("other")
    changed[1].status = .diverged
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

  @Test func cellsOnlyOnOneSideArePairedByTheRestOfTheirConfig() {
    let a = [
      cellManifest("a1", config: configJSON(seed: 1, learningRate: 0.001), finalAccuracy: 0.5),
      cellManifest("a2", config: configJSON(seed: 2, learningRate: 0.001), finalAccuracy: 0.6),
      cellManifest("s", config: configJSON(seed: 1, learningRate: 0.1), finalAccuracy: 0.9),
    ]
    let b = [
      cellManifest("b1", config: configJSON(seed: 1, learningRate: 0.01), finalAccuracy: 0.7),
      cellManifest("b2", config: configJSON(seed: 2, learningRate: 0.01), finalAccuracy: 0.6),
      cellManifest("s", config: configJSON(seed: 1, learningRate: 0.1), finalAccuracy: 0.9),
      cellManifest(
        "b3", config: configJSON(theta: 0.25, seed: 1, learningRate: 0.01), finalAccuracy: 0.8),
    ]
    let diff = ManifestDiff.compare(Self.manifest(a), Self.manifest(b), tolerance: 0)
    #expect(diff.counts == [.onlyInA: 2, .onlyInB: 3])
    #expect(diff.matched == 1)
    #expect(diff.configChanges.count == 1)
    let change = diff.configChanges[0]
    #expect(change.label == "learning_rate 0.001 → 0.01")
    #expect(
      Set(change.pairs.map { "\($0.a)-\($0.b)" }) == [
        "\(fakeID("a1"))-\(fakeID("b1"))", "\(fakeID("a2"))-\(fakeID("b2"))",
      ])
    let accuracy = change.movement[0]
    #expect(accuracy.metric == "final_accuracy")
    #expect(accuracy.compared == 2 && accuracy.moved.count == 1)
    #expect(abs((accuracy.largestDelta ?? 0) - 0.2) < 1e-12)
    #expect(diff.unpaired.map(\.label) == ["only in B: 1 cell (learning_rate 0.01; theta 0.25)"])
    let table = diff.table(limit: nil)
    #expect(table.contains("  learning_rate 0.001 → 0.01: 2 cells\n"))
    #expect(table.contains("only in B: 1 cell (learning_rate 0.01; theta 0.25)"))
    #expect(table.contains("(4 only-in rows of paired cells are not listed)"))
    #expect(table.contains(String(fakeID("b3").prefix(12))))
    #expect(
      diff.json["config_changes"]?.arrayValue?.first?["label"]
        == .string("learning_rate 0.001 → 0.01"))
  }

  @Test func sameConfigsWithNewIdsArePairedAsANewCoreVersion() {
    let a = [cellManifest("old", config: configJSON(seed: 1), finalAccuracy: 0.5)]
    let b = [cellManifest("new", config: configJSON(seed: 1), finalAccuracy: 0.5)]
    let diff = ManifestDiff.compare(Self.manifest(a), Self.manifest(b), tolerance: 0)
    #expect(diff.configChanges.map(\.label) == ["same config, new id"])
    #expect(diff.configChanges[0].movement.allSatisfy { $0.moved.isEmpty })
    #expect(diff.unpaired.isEmpty)
  }

  @Test func movementOfTheSameIdCellsHasCountsMedianAndLargest() {
    let base = (1...5).map {
      cellManifest("m\($0)", config: configJSON(seed: $0), finalAccuracy: 0.5)
    }
    var moved = base
    for (i, delta) in [0.0, 0.01, 0.02, -0.04, 0.0].enumerated() {
      moved[i].metrics.finalAccuracy = 0.5 + delta
    }
    let diff = ManifestDiff.compare(Self.manifest(base), Self.manifest(moved), tolerance: 0)
    let accuracy = diff.movement[0]
    #expect(accuracy.compared == 5 && accuracy.moved.count == 3)
    #expect(abs((accuracy.medianDelta ?? 0) - 0.01) < 1e-12)
    #expect(abs((accuracy.largestDelta ?? 0) + 0.04) < 1e-12)
    #expect(accuracy.moved[0].a == fakeID("m4"))
    #expect(
      diff.table(limit: 0).contains("how the metrics moved over the 5 cells with the same id"))
  }

  @Test func relativeAndPerMetricTolerances() {
    var changed = Self.base
    changed[0].metrics.finalAccuracy = 0.9 * 1.001
    changed[0].metrics.bestAccuracy = 0.9 * 1.001
    let rtol = ManifestDiff.compare(
      Self.manifest(Self.base), Self.manifest(changed), tolerance: Tolerance(rtol: 0.002))
    #expect(rtol.isEmpty)
    let perMetric = ManifestDiff.compare(
      Self.manifest(Self.base), Self.manifest(changed),
      tolerance: Tolerance(atolByName: ["final_accuracy": 0.01]))
    #expect(perMetric.rows.map(\.field) == ["best_accuracy"])
  }
}
