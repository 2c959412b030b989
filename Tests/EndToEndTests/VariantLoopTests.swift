// End-to-end tests of the loop after a first run, through the built binary: a variant of a sweep
// in the same folder, diff pairing cells by config, tolerances, plan's time estimate, and rerun
// with --results naming the results root.
import Foundation
import Testing

@Test func aVariantSharesTheCellsAndKeepsItsOwnManifest() throws {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "segsweep-variant-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = dir.appendingPathComponent("tiny.yaml").path
  try """
  name: tiny
  grid:
    theta: [0.5]
  fixed: {iterations: 4, image_size: 8, eval_images: 4, eval_every: 2}
  """.write(toFile: spec, atomically: true, encoding: .utf8)
  let results = dir.appendingPathComponent("results").path
  let sweepDirectory = "\(results)/tiny"

  let first = try sweep(["run", spec, "--results", results, "--jobs", "1"])
  #expect(first.status == 0, "\(first.stderr)")
  #expect(first.stderr.contains("next: sweep report \(sweepDirectory)"), "\(first.stderr)")
  let plan = try sweep(["plan", spec, "--results", results, "--set", "theta=[0.5, 0.25, 0.75]"])
  #expect(plan.stdout.contains("estimated time: "), "\(plan.stdout)")
  #expect(plan.stdout.contains("measured on 1 cell run here in \(sweepDirectory)"))

  let variant = try sweep([
    "run", spec, "--results", results, "--jobs", "1", "--set", "theta=[0.5, 0.25]",
  ])
  #expect(variant.status == 0, "\(variant.stderr)")
  #expect(variant.stderr.contains("holds another spec's manifest"), "\(variant.stderr)")
  #expect(variant.stderr.contains("1 already done, 1 to run"))
  let back = try sweep(["run", spec, "--results", results, "--jobs", "1", "--quiet"])
  #expect(back.status == 0)

  let verify = try sweep(["verify", sweepDirectory])
  #expect(verify.status == 0, "\(verify.stdout)")
  #expect(verify.stdout.contains("2 specs share the cells"))
  let manifests = try FileManager.default.contentsOfDirectory(atPath: "\(sweepDirectory)/manifests")
    .filter { $0.hasSuffix(".json") }
  #expect(manifests.count == 2)
  let latest = try Data(contentsOf: URL(fileURLWithPath: "\(sweepDirectory)/manifest.json"))
  let other = try #require(
    manifests.first { name in
      (try? Data(contentsOf: URL(fileURLWithPath: "\(sweepDirectory)/manifests/\(name)")))
        != latest
    })
  let diff = try sweep(["diff", sweepDirectory, "\(sweepDirectory)/manifests/\(other)"])
  #expect(diff.status == 1)
  #expect(diff.stdout.contains("only in B: 1 cell (theta 0.25)"), "\(diff.stdout)")
  let summary = try sweep(["summary", sweepDirectory, "--spec", String(other.prefix(6))])
  #expect(summary.status == 0 && summary.stdout.contains("2 cells"), "\(summary.stdout)")

  let cell = try #require(
    try FileManager.default.contentsOfDirectory(atPath: "\(sweepDirectory)/cells").first {
      $0.hasSuffix(".json")
    })
  let rerun = try sweep(["rerun", String(cell.prefix(8)), "--results", results])
  #expect(rerun.stdout.contains("reproduced bit-for-bit"), "\(rerun.stdout)\(rerun.stderr)")

  let logs = try sweep(["diff", sweepDirectory, sweepDirectory, "--logs", "--json"])
  #expect(logs.status == 0, "\(logs.stdout)")
  #expect(logs.stdout.contains("\"logs\""))
}

@Test(arguments: [
  (["--tolerance", "final_acc=1"], "--tolerance final_acc=1: unknown metric 'final_acc'"),
  (["--rtol=-1"], "--rtol -1: expected a number >= 0"),
  (["--atol", "x"], "--atol x: expected a number >= 0 or name=number"),
])
func badTolerancesExitTwoAndNameTheFlag(flags: [String], message: String) throws {
  let result = try sweep(["diff", "a", "b"] + flags)
  #expect(result.status == 2)
  #expect(result.stderr.contains(message), "\(result.stderr)")
}

@Test func anAliasGetsASuggestion() throws {
  let result = try sweep(["train", "lr=0.1"])
  #expect(result.status == 2)
  #expect(result.stderr.contains("did you mean 'learning_rate'?"), "\(result.stderr)")
}
