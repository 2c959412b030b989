// End-to-end tests of the loop after a first run, through the built binary: a variant of a sweep
// in the same folder, diff pairing cells by config, tolerances, plan's time estimate, and rerun
// with --results naming the results root.
import Foundation
import Testing

private let binary: URL = {
  var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  while url.path != "/" {
    url = url.deletingLastPathComponent()
    let candidate = url.appendingPathComponent("sweep")
    if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
  }
  return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../.build/debug/sweep").standardizedFileURL
}()

private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  let process = Process()
  process.executableURL = binary
  process.arguments = arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (
    process.terminationStatus, String(decoding: stdout, as: UTF8.self),
    String(decoding: stderr, as: UTF8.self)
  )
}

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

  let first = try run(["run", spec, "--results", results, "--jobs", "1"])
  #expect(first.status == 0, "\(first.stderr)")
  #expect(first.stderr.contains("next: sweep report \(sweepDirectory)"), "\(first.stderr)")
  let plan = try run(["plan", spec, "--results", results, "--set", "theta=[0.5, 0.25, 0.75]"])
  #expect(plan.stdout.contains("estimated time: "), "\(plan.stdout)")
  #expect(plan.stdout.contains("measured on 1 cell run here in \(sweepDirectory)"))

  let variant = try run([
    "run", spec, "--results", results, "--jobs", "1", "--set", "theta=[0.5, 0.25]",
  ])
  #expect(variant.status == 0, "\(variant.stderr)")
  #expect(variant.stderr.contains("holds another spec's manifest"), "\(variant.stderr)")
  #expect(variant.stderr.contains("1 already done, 1 to run"))
  let back = try run(["run", spec, "--results", results, "--jobs", "1", "--quiet"])
  #expect(back.status == 0)

  let verify = try run(["verify", sweepDirectory])
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
  let diff = try run(["diff", sweepDirectory, "\(sweepDirectory)/manifests/\(other)"])
  #expect(diff.status == 1)
  #expect(diff.stdout.contains("only in B: 1 cell (theta 0.25)"), "\(diff.stdout)")
  let summary = try run(["summary", sweepDirectory, "--spec", String(other.prefix(6))])
  #expect(summary.status == 0 && summary.stdout.contains("2 cells"), "\(summary.stdout)")

  let cell = try #require(
    try FileManager.default.contentsOfDirectory(atPath: "\(sweepDirectory)/cells").first {
      $0.hasSuffix(".json")
    })
  let rerun = try run(["rerun", String(cell.prefix(8)), "--results", results])
  #expect(rerun.stdout.contains("reproduced bit-for-bit"), "\(rerun.stdout)\(rerun.stderr)")

  let logs = try run(["diff", sweepDirectory, sweepDirectory, "--logs", "--json"])
  #expect(logs.status == 0, "\(logs.stdout)")
  #expect(logs.stdout.contains("\"logs\""))
}

@Test(arguments: [
  (["--tolerance", "final_acc=1"], "--tolerance final_acc=1: unknown metric 'final_acc'"),
  (["--rtol=-1"], "--rtol -1: expected a number >= 0"),
  (["--atol", "x"], "--atol x: expected a number >= 0 or name=number"),
])
func badTolerancesExitTwoAndNameTheFlag(flags: [String], message: String) throws {
  let result = try run(["diff", "a", "b"] + flags)
  #expect(result.status == 2)
  #expect(result.stderr.contains(message), "\(result.stderr)")
}

@Test func anAliasGetsASuggestion() throws {
  let result = try run(["train", "lr=0.1"])
  #expect(result.status == 2)
  #expect(result.stderr.contains("did you mean 'learning_rate'?"), "\(result.stderr)")
}
