// End-to-end tests of the `sweep` binary built alongside the tests: exit codes, messages and
// files, through Process as a user would run it. The slow checks live in scripts/e2e.sh.
import Foundation
import Testing

private func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "segsweep-e2e-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Test func versionPrints() throws {
  let result = try sweep(["--version"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("0.1.0"))
}

@Test func trainWritesAStepLogAndASummary() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let log = dir.appendingPathComponent("cell.ndjson.gz").path
  let result = try sweep([
    "train", "iterations=5", "image_size=8", "eval_images=4", "eval_every=2", "--out", log,
  ])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("final accuracy"))
  #expect(result.stdout.contains("steps/s"))
  let bytes = try Data(contentsOf: URL(fileURLWithPath: log))
  #expect(bytes.prefix(2) == Data([0x1F, 0x8B]))
}

@Test func trainTwiceGivesIdenticalBytes() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  var logs: [Data] = []
  for name in ["a", "b"] {
    let path = dir.appendingPathComponent("\(name).ndjson.gz").path
    let result = try sweep([
      "train", "iterations=6", "image_size=8", "batch_norm=true", "loss=dice", "seed=3",
      "--out", path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    logs.append(try Data(contentsOf: URL(fileURLWithPath: path)))
  }
  #expect(logs[0] == logs[1])
}

@Test func stateDumpIsWritten() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let path = dir.appendingPathComponent("state.json").path
  let result = try sweep([
    "train", "iterations=5", "image_size=4", "--dump-state", "2", "--state", path,
  ])
  #expect(result.status == 0, "\(result.stderr)")
  let text = try String(contentsOfFile: path, encoding: .utf8)
  for key in ["\"parameters\"", "\"inputs\"", "\"labels\"", "\"logits\"", "\"gradients\""] {
    #expect(text.contains(key))
  }
}

@Test(arguments: [
  (["train", "thetta=0.5"], "theta"),
  (["train", "theta=1.5"], "theta"),
  (["run", "no-such-file.yaml"], "no-such-file.yaml"),
  (["run", "sweeps/smoke.yaml", "--shard", "3/3"], "--shard"),
  (["run", "sweeps/smoke.yaml", "--no-such-flag"], "no-such-flag"),
])
func badInputExitsTwo(arguments: [String], mentioned: String) throws {
  let result = try sweep(arguments)
  #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
  #expect(result.stderr.contains(mentioned), "\(result.stderr)")
}

@Test func badSweepFileNamesLineAndColumnAndWritesNothing() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = dir.appendingPathComponent("bad.yaml")
  try "name: bad\ngrid:\n  loss: [cce, dise]\n".write(to: spec, atomically: true, encoding: .utf8)
  let results = dir.appendingPathComponent("results").path
  let result = try sweep(["run", spec.path, "--results", results])
  #expect(result.status == 2)
  #expect(result.stderr.contains("bad.yaml:3:"), "\(result.stderr)")
  #expect(!FileManager.default.fileExists(atPath: results))
}

@Test func planShowsCellsAndAssignmentWithoutRunning() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let result = try sweep([
    "plan", "sweeps/smoke.yaml", "--jobs", "2", "--results", dir.path,
  ])
  #expect(result.status == 0, "\(result.stderr)")
  #expect(result.stdout.contains("pending"))
  #expect(result.stdout.contains("worker 1"))
  let contents = try FileManager.default.contentsOfDirectory(atPath: dir.path)
  #expect(contents.isEmpty)
}

@Test func runThenRerunReproducesBitForBit() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = dir.appendingPathComponent("tiny.yaml")
  try """
  name: tiny
  grid:
    loss: [cce, dicefg]
  fixed: {iterations: 4, image_size: 8, eval_images: 4, eval_every: 2}
  """.write(to: spec, atomically: true, encoding: .utf8)
  let results = dir.appendingPathComponent("results").path
  let run = try sweep(["run", spec.path, "--results", results, "--jobs", "2", "--quiet"])
  #expect(run.status == 0, "\(run.stderr)")
  let cells = try FileManager.default.contentsOfDirectory(atPath: "\(results)/tiny/cells")
    .filter { $0.hasSuffix(".json") }.sorted()
  #expect(cells.count == 2)
  let prefix = String(cells[0].prefix(8))
  let rerun = try sweep(["rerun", prefix, "--results", "\(results)/tiny"])
  #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
  #expect(rerun.stdout.contains("reproduced bit-for-bit"))
  let verify = try sweep(["verify", "\(results)/tiny"])
  #expect(verify.status == 0, "\(verify.stdout)")
  let again = try sweep(["run", spec.path, "--results", results, "--jobs", "2"])
  #expect(again.stderr.contains("2 already done, 0 to run"), "\(again.stderr)")
}

/// A tiny two-cell sweep file in `dir`.
private func tinySpec(_ dir: URL) throws -> String {
  let spec = dir.appendingPathComponent("tiny.yaml")
  try """
  name: tiny
  grid:
    loss: [cce, dicefg]
  fixed: {iterations: 4, image_size: 8, eval_images: 4, eval_every: 2}
  """.write(to: spec, atomically: true, encoding: .utf8)
  return spec.path
}

@Test func pathsInTheWayAreNamedInOneSentence() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = try tinySpec(dir)
  let rootFile = dir.appendingPathComponent("root").path
  try Data().write(to: URL(fileURLWithPath: rootFile))
  let root = try sweep(["run", spec, "--results", rootFile, "--quiet"])
  #expect(root.status == 2)
  #expect(
    root.stderr
      == "error: \(rootFile): cannot create the directory: a regular file of that name is in the way\n"
  )
  let results = dir.appendingPathComponent("r").path
  try FileManager.default.createDirectory(
    atPath: results + "/tiny", withIntermediateDirectories: true)
  try Data().write(to: URL(fileURLWithPath: results + "/tiny/cells"))
  let cells = try sweep(["run", spec, "--results", results, "--quiet"])
  #expect(cells.status == 2)
  #expect(cells.stderr.contains("\(results)/tiny/cells: cannot create the directory"))
  #expect(!cells.stderr.contains("NSCocoaErrorDomain"))
  let directory = try sweep(["run", dir.path, "--results", results])
  #expect(directory.status == 2)
  #expect(directory.stderr == "\(dir.path): error: the sweep file is a directory\n")
}

@Test func mergeAndStatusUseTheRecordedSweepAndRerunTakesTheRoot() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = try tinySpec(dir)
  let results = dir.appendingPathComponent("results").path
  let run = try sweep(["run", spec, "--results", results, "--set", "iterations=3", "--quiet"])
  #expect(run.status == 0, "\(run.stderr)")
  let directory = "\(results)/tiny"
  let before = try String(contentsOfFile: "\(directory)/manifest.json", encoding: .utf8)
  // The run's --set forgotten: refused, and the complete manifest is untouched.
  let forgot = try sweep(["merge", directory, spec])
  #expect(forgot.status == 2)
  #expect(forgot.stderr.contains("holds the results of `sweep run"), "\(forgot.stderr)")
  #expect(try String(contentsOfFile: "\(directory)/manifest.json", encoding: .utf8) == before)
  let merge = try sweep(["merge", directory])
  #expect(merge.status == 0, "\(merge.stderr)")
  #expect(try String(contentsOfFile: "\(directory)/manifest.json", encoding: .utf8) == before)
  let status = try sweep(["status", directory])
  #expect(status.status == 0, "\(status.stdout)")
  #expect(status.stdout.contains("done    2"))
  let cell =
    try FileManager.default.contentsOfDirectory(atPath: "\(directory)/cells")
    .first { $0.hasSuffix(".json") } ?? ""
  let rerun = try sweep(["rerun", String(cell.prefix(8)), "--results", results])
  #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
  #expect(rerun.stdout.contains("reproduced bit-for-bit"))
  let again = try sweep(["run", spec, "--results", results, "--set", "iterations=3"])
  #expect(again.stderr.contains("2 already done, 0 to run -> "), "\(again.stderr)")
}

@Test func aDamagedCellIsNamedAndRunAgain() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = try tinySpec(dir)
  let results = dir.appendingPathComponent("results").path
  #expect(try sweep(["run", spec, "--results", results, "--quiet"]).status == 0)
  let cells = "\(results)/tiny/cells"
  let name =
    try FileManager.default.contentsOfDirectory(atPath: cells)
    .first { $0.hasSuffix(".json") } ?? ""
  let path = "\(cells)/\(name)"
  let text = try String(contentsOfFile: path, encoding: .utf8)
  let edited = text.replacingOccurrences(
    of: #""records": 4"#, with: #""records": 3"#)
  #expect(edited != text)
  try edited.write(toFile: path, atomically: true, encoding: .utf8)
  let verify = try sweep(["verify", "\(results)/tiny"])
  #expect(verify.status == 1)
  #expect(verify.stdout.contains("manifest contradicts itself: records is 3"), "\(verify.stdout)")
  let again = try sweep(["run", spec, "--results", results])
  #expect(again.status == 0, "\(again.stderr)")
  #expect(
    again.stderr.contains(
      "cell \(name.prefix(12)) is damaged (its manifest is wrong: records is 3, "
        + "but 4 steps of this config log 4 records); running it again"), "\(again.stderr)")
  #expect(again.stderr.contains("1 already done, 1 to run on 1 worker"))
  #expect(try sweep(["verify", "\(results)/tiny"]).status == 0)
}

@Test func aShardBeyondTheCellsIsRefused() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let spec = try tinySpec(dir)
  let result = try sweep(["run", spec, "--shard", "0/1000000", "--results", dir.path])
  #expect(result.status == 2)
  #expect(result.stderr.contains("use at most --shard i/2"), "\(result.stderr)")
  #expect(result.stderr.contains("like SLURM_ARRAY_TASK_ID"))
  let slurm = try sweep(["slurm", spec, "--tasks", "5", "--results", dir.path])
  #expect(slurm.status == 2)
  #expect(slurm.stderr.contains("use at most --tasks 2"), "\(slurm.stderr)")
}

@Test func aWorkerRefusesAJobWhoseIDIsNotItsConfigs() throws {
  let dir = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(at: dir) }
  let process = Process()
  process.executableURL = sweepExecutable
  process.arguments = ["worker"]
  let input = Pipe()
  let output = Pipe()
  process.standardInput = input
  process.standardOutput = output
  try process.run()
  let id = String(repeating: "0", count: 64)
  let job = #"{"config":{"seed":1},"dir":"\#(dir.path)","id":"\#(id)"}"#
  input.fileHandleForWriting.write(Data((job + "\n").utf8))
  try input.fileHandleForWriting.close()
  let reply = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  #expect(process.terminationStatus == 0)
  #expect(
    reply.hasPrefix(
      #"{"event":"error","message":"worker protocol error: job for cell 000000000000: its config is not a valid config"#
    ), "\(reply)")
  #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("cells").path))
}
