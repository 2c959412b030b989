// Tests of `SweepDirectory`: the one table of paths inside a results directory.
import Artifacts
import SweepSpec
import Testing

@Suite struct SweepDirectoryTests {
  static let id = testID(fakeID("layout"))

  @Test func cellFilesAreNamedByTheFullID() {
    let directory = SweepDirectory(resultsRoot: "results", sweepName: "paper")
    let hex = Self.id.hex
    #expect(directory.path == "results/paper")
    #expect(directory.cells == "results/paper/cells")
    #expect(directory.cellLog(Self.id) == "results/paper/cells/\(hex).ndjson.gz")
    #expect(directory.cellManifest(Self.id) == "results/paper/cells/\(hex).json")
    #expect(directory.failureMarker(Self.id) == "results/paper/cells/\(hex).failed")
    #expect(
      directory.temporaryCellLog(Self.id, owner: "12@host")
        == "results/paper/cells/\(hex).ndjson.gz.12@host.tmp")
  }

  @Test func attemptLedgersAndClaimsAreNamedByTheFullID() {
    let directory = SweepDirectory("r/s")
    let hex = Self.id.hex
    #expect(directory.attempts == "r/s/attempts")
    #expect(directory.attemptLedger(Self.id) == "r/s/attempts/\(hex).ndjson")
    #expect(directory.claims == "r/s/claims")
    #expect(directory.claim(Self.id) == "r/s/claims/\(hex)")
    #expect(SweepDirectory.attemptLedgerID(fileName: "\(hex).ndjson") == Self.id)
    #expect(SweepDirectory.attemptLedgerID(fileName: "\(hex).json") == nil)
    #expect(SweepDirectory.attemptLedgerID(fileName: "x.ndjson") == nil)
  }

  @Test func sweepLevelFilesLocksAndOutputs() {
    let directory = SweepDirectory("r/s")
    #expect(directory.sweepManifest == "r/s/manifest.json")
    #expect(directory.summaryMarkdown == "r/s/summary.md")
    #expect(directory.summaryCSV == "r/s/summary.csv")
    #expect(directory.specManifest(key: "k") == "r/s/manifests/k.json")
    #expect(directory.specSummaryMarkdown(key: "k") == "r/s/manifests/k.summary.md")
    #expect(directory.specSummaryCSV(key: "k") == "r/s/manifests/k.summary.csv")
    #expect(directory.resolvedSweep == "r/s/\(ResolvedSweep.fileName)")
    #expect(directory.lockDirectory(shard: nil) == "r/s")
    #expect(directory.lockDirectory(shard: (2, 8)) == "r/s/.locks/shard-2-of-8")
    #expect(SweepDirectory.lockFile(in: "r/s") == "r/s/.lock")
    #expect(directory.report(key: nil) == "r/s/report")
    #expect(directory.report(key: "k") == "r/s/report/k")
    #expect(directory.slurmArrayScript == "r/s/slurm/array.sbatch")
    #expect(directory.slurmMergeScript == "r/s/slurm/merge.sbatch")
    #expect(directory.slurmLogs == "r/s/slurm/logs")
  }

  @Test func onlyCellManifestNamesGiveAnID() {
    let hex = Self.id.hex
    #expect(SweepDirectory.manifestID(fileName: "\(hex).json") == Self.id)
    #expect(SweepDirectory.manifestID(fileName: "\(hex).ndjson.gz") == nil)
    #expect(SweepDirectory.manifestID(fileName: "\(hex).failed") == nil)
    #expect(SweepDirectory.manifestID(fileName: "manifest.json") == nil)
  }
}
