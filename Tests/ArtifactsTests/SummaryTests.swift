// Tests of the summary tables on hand-made manifests.

import CanonicalJSON
import Testing

@testable import Artifacts

@Suite struct SummaryTests {
  static func manifest(_ cells: [CellManifest], missing: [String] = []) -> SweepManifest {
    SweepManifest(
      name: "paper", specPath: "p.yaml", specSHA256: fakeID("s"), toolVersion: "0.1.0",
      cells: cells, missing: missing, run: .object([:]))
  }

  static let cells: [CellManifest] = [
    cellManifest("c1", config: configJSON(loss: "cce", seed: 1), finalAccuracy: 0.90),
    cellManifest("c2", config: configJSON(loss: "cce", seed: 2), finalAccuracy: 0.92),
    cellManifest("c3", config: configJSON(loss: "cce", seed: 3), finalAccuracy: 0.94),
    cellManifest("d1", config: configJSON(loss: "dice", seed: 1), finalAccuracy: 0.80),
    cellManifest("d2", config: configJSON(loss: "dice", seed: 2), finalAccuracy: 0.90),
    cellManifest("d3", config: configJSON(loss: "dice", theta: 0.9, seed: 1), finalAccuracy: 0.5),
  ]

  @Test func pivotHasMeanAndSampleSD() {
    let summary = Summary(manifest: Self.manifest(Self.cells))
    let pivot = summary.render(summary.pivotTable, markdown: false)
    let lines = pivot.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("loss"))
    #expect(lines[0].contains("θ=0.5 no bn adam") && lines[0].contains("θ=0.9 no bn adam"))
    #expect(lines[1].hasPrefix("cce") && lines[1].contains("0.9200 ± 0.0200 (n=3)"))
    #expect(lines[2].hasPrefix("dice") && lines[2].contains("0.8500 ± 0.0707 (n=2)"))
    #expect(lines[2].contains("0.5000 ± — (n=1)"))
  }

  @Test func uniformSeedCountIsStatedOnce() {
    let cells = Array(Self.cells.prefix(3))
    let summary = Summary(manifest: Self.manifest(cells))
    #expect(summary.markdown.contains("n = 3 seeds per group."))
    #expect(summary.markdown.contains(" 0.9200 ± 0.0200 |"))
  }

  @Test func varyingParametersAreNotAveragedTogether() {
    let cells = [
      cellManifest("a", config: configJSON(seed: 1, learningRate: 0.001), finalAccuracy: 0.9),
      cellManifest("b", config: configJSON(seed: 1, learningRate: 0.01), finalAccuracy: 0.7),
    ]
    let summary = Summary(manifest: Self.manifest(cells))
    #expect(summary.extraKeys == ["learning_rate"])
    #expect(summary.columns.count == 2)
    let pivot = summary.render(summary.pivotTable, markdown: false)
    #expect(pivot.contains("θ=0.5 no bn adam learning_rate=0.001"))
    #expect(pivot.contains("0.9000 ± —") && pivot.contains("0.7000 ± —"))
    #expect(summary.csv.hasPrefix("id,loss,theta,batch_norm,optimizer,learning_rate,seed,"))
  }

  @Test func csvHasHeaderAndOneRowPerCell() {
    let summary = Summary(manifest: Self.manifest(Self.cells))
    let lines = summary.csv.split(separator: "\n")
    #expect(lines.count == 7)
    #expect(
      lines[0]
        == "id,loss,theta,batch_norm,optimizer,seed,status,final_accuracy,best_accuracy,final_loss")
    #expect(lines[1] == "\(fakeID("c1")),cce,0.5,false,adam,1,ok,0.9,0.9,0.25")
  }

  @Test func csvQuotesFieldsThatNeedIt() {
    let cells = [
      cellManifest("a", config: configJSON(optimizer: "a,\"b\""), finalAccuracy: nil)
    ]
    let csv = Summary(manifest: Self.manifest(cells)).csv
    #expect(csv.contains(",cce,0.5,false,\"a,\"\"b\"\"\",1,ok,,,0.25\n"))
  }

  @Test func markdownTablesRenderOnGitHub() {
    let summary = Summary(manifest: Self.manifest(Self.cells, missing: [fakeID("m")]))
    let markdown = summary.markdown
    let tableLines = markdown.split(separator: "\n").filter { $0.hasPrefix("|") }
    #expect(tableLines.count == 2 + 2 + 2 + 6)
    for line in tableLines { #expect(line.hasSuffix("|")) }
    #expect(markdown.contains("| ---"))
    #expect(markdown.contains("1 planned cell without valid artifacts: \(fakeID("m").prefix(12))"))
    #expect(summary.text.contains("sweep paper: 6 cells, 1 missing"))
  }

  @Test func sameManifestSameText() {
    let a = Summary(manifest: Self.manifest(Self.cells))
    let b = Summary(manifest: Self.manifest(Self.cells.reversed()))
    #expect(a.markdown == b.markdown && a.csv == b.csv && a.text == b.text)
  }
}
