// End-to-end tests of hostile flags and sweep files through the built `sweep` binary: every
// numeric flag has a range, and bad sweeps exit 2 with a bounded message and write nothing.
import Foundation
import Testing

private func scratchDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "segsweep-hostile-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Test(arguments: [
  (
    ["plan", "sweeps/smoke.yaml", "--jobs", "9999999999999"],
    "--jobs must be in 1...1024, got 9999999999999"
  ),
  (
    ["run", "sweeps/smoke.yaml", "--jobs", "9223372036854775807", "--results", "/nonexistent/r"],
    "--jobs must be in 1...1024, got 9223372036854775807"
  ),
  (
    ["plan", "sweeps/smoke.yaml", "--max-cells", "99999999999"],
    "--max-cells must be in 1...1000000, got 99999999999"
  ),
  (
    ["status", "/nonexistent/d", "sweeps/smoke.yaml", "--shards", "0"],
    "--shards must be in 1...1000000, got 0"
  ),
  (
    ["diff", "a", "b", "--tolerance", "inf"],
    "--tolerance inf: expected a number >= 0 or name=number"
  ),
  (["diff", "a", "b", "--limit=-1"], "--limit must be at least 0, got -1"),
  (
    ["report", "/nonexistent/d", "--smooth", "9999999999"],
    "--smooth must be in 1...1000000, got 9999999999"
  ),
  (["report", "/nonexistent/d", "--max-points", "5"], "--max-points must be in 10...1000000"),
  (
    ["claims", "/nonexistent/d", "--converged-accuracy", "1e300"],
    "--converged-accuracy must be between 0 and 1, got 1e+300"
  ),
  (
    ["claims", "/nonexistent/d", "--plateau-slope", "nan"],
    "--plateau-slope must be a positive number, got nan"
  ),
  (
    ["train", "--dump-state", "99999999999999999", "--state", "/nonexistent/s.json"],
    "--dump-state must be in 0...9007199254740992"
  ),
  (
    ["train", "batch_size=1024", "image_size=1024", "filters=256"],
    "GiB for its buffers, more than the limit of 16 GiB"
  ),
  (["bench", "--repeats", "99999999999"], "--repeats must be in 1...1000"),
  (["bench", "--repeats", "0"], "--repeats must be in 1...1000, got 0"),
  (["slurm", "sweeps/smoke.yaml", "--tasks", "9999999999999"], "--tasks must be in 1...1000000"),
  (
    ["slurm", "sweeps/smoke.yaml", "--tasks", "7"],
    "--tasks 7 is more than the sweep's 6 cells; use at most --tasks 6"
  ),
  (
    ["slurm", "sweeps/smoke.yaml", "--tasks", "2", "--cpus-per-task", "99999"],
    "--cpus-per-task must be in 1...1024, got 99999"
  ),
])
func numericFlagsOutOfRangeExitTwoNamingTheFlag(arguments: [String], message: String) throws {
  let result = try sweep(arguments)
  #expect(result.status == 2, "\(result.stderr)")
  #expect(result.stderr.contains(message), "\(result.stderr)")
}

@Test func aSweepWhoseExcludesRemoveEveryCellExitsTwoAndWritesNothing() throws {
  let dir = try scratchDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = dir.appendingPathComponent("empty.yaml")
  try "grid:\n  loss: [cce, dice]\nexclude:\n  - {loss: cce}\n  - {loss: dice}\n"
    .write(to: spec, atomically: true, encoding: .utf8)
  let results = dir.appendingPathComponent("results")
  let result = try sweep(["run", spec.path, "--results", results.path])
  #expect(result.status == 2)
  #expect(
    result.stderr.contains(
      "empty.yaml:3:1: error: the exclude entries remove every combination of the grid"),
    "\(result.stderr)")
  #expect(!FileManager.default.fileExists(atPath: results.path))
}

@Test func messagesAboutHostileNamesStayShortAndOnOneLine() throws {
  let dir = try scratchDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = dir.appendingPathComponent("hostile.yaml")
  let key = String(repeating: "k", count: 900_000)
  try "name: \"a\\nb\\0c\"\n\(key): 1\n".write(to: spec, atomically: true, encoding: .utf8)
  let result = try sweep(["plan", spec.path])
  #expect(result.status == 2)
  #expect(result.stderr.utf8.count < 2000, "\(result.stderr.utf8.count) bytes")
  #expect(!result.stderr.contains("\0"))
  let tagged = dir.appendingPathComponent("tagged.yaml")
  try "name: !!python/object:os.system 'ls'\n".write(to: tagged, atomically: true, encoding: .utf8)
  let tag = try sweep(["plan", tagged.path])
  #expect(tag.status == 2)
  #expect(tag.stderr.contains("tagged.yaml:1:7: error: unsupported YAML tag"), "\(tag.stderr)")
}
