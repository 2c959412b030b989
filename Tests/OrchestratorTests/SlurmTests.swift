// Tests for Sources/Orchestrator/Slurm.swift: script contents, quoting (checked by running the
// generated lines with bash), script files, and submission through a fake sbatch.
import Foundation
import Testing

@testable import Orchestrator

private func options(
  root: String = "/scratch/results", sweepPath: String = "/home/me/sweeps/paper.yaml",
  executable: String = "/opt/segsweep/bin/sweep", tasks: Int = 4
) -> SlurmOptions {
  SlurmOptions(
    sweepPath: sweepPath, sweepName: "paper", resultsRoot: root, tasks: tasks,
    executable: executable, workingDirectory: "/home/me/project")
}

/// A fresh temporary directory; the caller removes it.
private func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "slurm-tests-" + UUID().uuidString
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

private func writeExecutable(_ text: String, to path: String) throws {
  try text.write(toFile: path, atomically: true, encoding: .utf8)
  try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
}

/// Runs `bash -c script` with extra environment variables and returns its standard output.
private func bash(_ script: String, environment: [String: String] = [:]) throws -> (
  status: Int32, output: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/bin/bash")
  process.arguments = ["-c", script]
  process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  let pipe = Pipe()
  process.standardOutput = pipe
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

private func lines(_ text: String) -> [String] {
  text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

@Test func arrayScriptHasDirectivesAndShardCommand() {
  var o = options()
  o.partition = "short"
  o.time = "01:00:00"
  o.cpusPerTask = 2
  o.mem = "4G"
  o.extraSbatchArgs = ["--account=proj42", "--qos=low"]
  let script = slurmArrayScript(o)
  let all = lines(script)
  #expect(all.first == "#!/bin/bash")
  #expect(script.hasSuffix("\n"))
  for expected in [
    "#SBATCH --job-name=segsweep-paper",
    "#SBATCH --array=0-3",
    "#SBATCH --output=/scratch/results/paper/slurm/logs/task-%A_%a.out",
    "#SBATCH --error=/scratch/results/paper/slurm/logs/task-%A_%a.err",
    "#SBATCH --cpus-per-task=2",
    "#SBATCH --partition=short",
    "#SBATCH --time=01:00:00",
    "#SBATCH --mem=4G",
    "#SBATCH --account=proj42",
    "#SBATCH --qos=low",
    "set -euo pipefail",
    "cd /home/me/project",
    "exec /opt/segsweep/bin/sweep run /home/me/sweeps/paper.yaml"
      + " --shard \"${SLURM_ARRAY_TASK_ID}/4\" --results /scratch/results --jobs 2 --quiet",
  ] {
    #expect(all.contains(expected), "missing line: \(expected)")
  }
  // sbatch stops reading directives at the first command, so every #SBATCH line comes first.
  let firstCommand = all.firstIndex(of: "set -euo pipefail") ?? 0
  let lastDirective = all.lastIndex(where: { $0.hasPrefix("#SBATCH") }) ?? all.count
  #expect(lastDirective < firstCommand)
}

@Test func arrayScriptOmitsUnsetOptions() {
  let script = slurmArrayScript(options())
  #expect(!script.contains("--partition"))
  #expect(!script.contains("--time"))
  #expect(!script.contains("--mem"))
  #expect(!script.contains("--set"))
  #expect(lines(script).contains("#SBATCH --cpus-per-task=1"))
}

@Test(arguments: [(1, nil, "0-0"), (3, 1, "0-2%1"), (10, 4, "0-9%4")] as [(Int, Int?, String)])
func arrayRangeAndConcurrencyLimit(tasks: Int, limit: Int?, range: String) {
  var o = options(tasks: tasks)
  o.maxConcurrent = limit
  let script = slurmArrayScript(o)
  #expect(lines(script).contains("#SBATCH --array=\(range)"))
  #expect(script.contains("--shard \"${SLURM_ARRAY_TASK_ID}/\(tasks)\""))
}

@Test func overridesReachBothScripts() {
  var o = options()
  o.overrides = ["steps=100", "name with space='x'"]
  let expected = " --set steps=100 --set 'name with space='\\''x'\\'''"
  #expect(slurmArrayScript(o).contains("--quiet" + expected + "\n"))
  #expect(slurmMergeScript(o).contains("/home/me/sweeps/paper.yaml" + expected + "\n"))
}

@Test func mergeScriptMergesTheSweepDirectory() {
  var o = options()
  o.partition = "short"
  o.extraSbatchArgs = ["--account=proj42"]
  let all = lines(slurmMergeScript(o))
  #expect(all.first == "#!/bin/bash")
  for expected in [
    "#SBATCH --job-name=segsweep-paper-merge",
    "#SBATCH --output=/scratch/results/paper/slurm/logs/merge-%j.out",
    "#SBATCH --partition=short",
    "#SBATCH --account=proj42",
    "cd /home/me/project",
    "exec /opt/segsweep/bin/sweep merge /scratch/results/paper /home/me/sweeps/paper.yaml",
  ] {
    #expect(all.contains(expected), "missing line: \(expected)")
  }
  #expect(!all.contains(where: { $0.contains("--array") }))
}

@Test(arguments: ["plain", "with space", "it's", "a'b\"c $HOME `x` \\ ; & | *", ""])
func shellQuotingRoundTrips(value: String) throws {
  let result = try bash("printf '%s' \(shellQuoted(value))")
  #expect(result.status == 0)
  #expect(result.output == value)
}

@Test func generatedArrayScriptPassesAwkwardPathsIntact() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  // A directory whose name has a space, a quote and shell metacharacters.
  let awkward = directory + "/my results/it's $HOME `x`"
  try FileManager.default.createDirectory(atPath: awkward, withIntermediateDirectories: true)
  let fake = awkward + "/fake sweep"
  try writeExecutable("#!/bin/bash\nprintf '%s\\n' \"$PWD\" \"$@\"\n", to: fake)
  var o = SlurmOptions(
    sweepPath: awkward + "/sweep's.yaml", sweepName: "smoke", resultsRoot: awkward + "/root",
    tasks: 3, executable: fake, workingDirectory: awkward)
  o.overrides = ["seed=7", "label=a b'c"]
  let result = try bash(slurmArrayScript(o), environment: ["SLURM_ARRAY_TASK_ID": "2"])
  #expect(result.status == 0)
  #expect(
    lines(result.output) == [
      awkward, "run", awkward + "/sweep's.yaml", "--shard", "2/3", "--results", awkward + "/root",
      "--jobs", "1", "--quiet", "--set", "seed=7", "--set", "label=a b'c", "",
    ])
  let merge = try bash(slurmMergeScript(o))
  #expect(merge.status == 0)
  #expect(
    lines(merge.output) == [
      awkward, "merge", awkward + "/root/smoke", awkward + "/sweep's.yaml", "--set", "seed=7",
      "--set", "label=a b'c", "",
    ])
  // The log paths are quoted too, and a literal % is escaped for Slurm's filename patterns.
  o.resultsRoot = "/data/100% done"
  #expect(
    lines(slurmArrayScript(o)).contains(
      "#SBATCH --output='/data/100%% done/smoke/slurm/logs/task-%A_%a.out'"))
}

@Test func writeSlurmScriptsCreatesScriptsAndLogDirectory() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let o = options(root: directory + "/results")
  let paths = try writeSlurmScripts(o)
  #expect(paths.array == directory + "/results/paper/slurm/array.sbatch")
  #expect(paths.merge == directory + "/results/paper/slurm/merge.sbatch")
  #expect(try String(contentsOfFile: paths.array, encoding: .utf8) == slurmArrayScript(o))
  #expect(try String(contentsOfFile: paths.merge, encoding: .utf8) == slurmMergeScript(o))
  var isDirectory: ObjCBool = false
  #expect(
    FileManager.default.fileExists(
      atPath: directory + "/results/paper/slurm/logs", isDirectory: &isDirectory))
  #expect(isDirectory.boolValue)
  // Writing again replaces the scripts and leaves no temporary files behind.
  _ = try writeSlurmScripts(o)
  let entries = try FileManager.default.contentsOfDirectory(
    atPath: directory + "/results/paper/slurm")
  #expect(entries.sorted() == ["array.sbatch", "logs", "merge.sbatch"])
}

@Test func invalidOptionsAreRejectedBeforeWriting() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  var zeroTasks = options(root: directory, tasks: 0)
  #expect(throws: OrchestratorError.self) { try writeSlurmScripts(zeroTasks) }
  zeroTasks.tasks = 2
  zeroTasks.maxConcurrent = 0
  #expect(throws: OrchestratorError.self) { try writeSlurmScripts(zeroTasks) }
  #expect(throws: OrchestratorError.self) { try options(root: "relative/results").validate() }
  var newline = options(root: directory)
  newline.overrides = ["a=1\n#SBATCH --evil"]
  #expect(throws: OrchestratorError.self) { try writeSlurmScripts(newline) }
  #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
}

@Test func parsableOutputGivesTheJobID() {
  #expect(parsableJobID("1234\n") == "1234")
  #expect(parsableJobID("1234;cluster-a\n") == "1234")
  #expect(parsableJobID("sbatch: warning: something\n77\n") == "77")
  #expect(parsableJobID("") == nil)
  #expect(parsableJobID("Submitted batch job 12\n") == nil)
}

@Test func submitRunsSbatchForArrayThenDependentMerge() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let log = directory + "/calls"
  let fake = directory + "/sbatch"
  // First call prints "<id>;<cluster>" as on a multi-cluster site, the second a bare id.
  try writeExecutable(
    """
    #!/bin/bash
    echo "$*" >> \(shellQuoted(log))
    if [[ $* == *--dependency* ]]; then echo 4243; else echo "4242;cluster-a"; fi
    """, to: fake)
  let o = options(root: directory + "/results")
  let submission = try submitSlurm(o, sbatch: fake)
  #expect(submission == SlurmSubmission(arrayJobID: "4242", mergeJobID: "4243"))
  let slurm = directory + "/results/paper/slurm"
  #expect(
    lines(try String(contentsOfFile: log, encoding: .utf8)) == [
      "--parsable \(slurm)/array.sbatch",
      "--parsable --dependency=afterany:4242 \(slurm)/merge.sbatch", "",
    ])
}

@Test func submitReportsSbatchFailuresWithStderr() throws {
  let directory = try temporaryDirectory()
  defer { try? FileManager.default.removeItem(atPath: directory) }
  let o = options(root: directory + "/results")

  let missing = directory + "/no-such-sbatch"
  #expect(throws: OrchestratorError.sbatchNotFound(missing)) { try submitSlurm(o, sbatch: missing) }
  #expect(throws: OrchestratorError.sbatchNotFound("sbatch-not-on-path-xyz")) {
    try submitSlurm(o, sbatch: "sbatch-not-on-path-xyz")
  }

  let failing = directory + "/sbatch-fails"
  try writeExecutable(
    "#!/bin/bash\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n",
    to: failing)
  do {
    _ = try submitSlurm(o, sbatch: failing)
    Issue.record("expected submitSlurm to throw")
  } catch let error as OrchestratorError {
    guard case .sbatchFailed(_, let status, let stderr) = error else {
      Issue.record("unexpected error \(error)")
      return
    }
    #expect(status == 1)
    #expect(stderr.contains("invalid partition specified: nope"))
    #expect(error.description.contains("invalid partition specified: nope"))
  }

  // The array is accepted but the merge is refused: the error names the array job to cancel.
  let halfway = directory + "/sbatch-halfway"
  try writeExecutable(
    "#!/bin/bash\nif [[ $* == *--dependency* ]]; then echo 'no' >&2; exit 3; fi\necho 99\n",
    to: halfway)
  do {
    _ = try submitSlurm(o, sbatch: halfway)
    Issue.record("expected submitSlurm to throw")
  } catch let error as OrchestratorError {
    guard case .mergeJobNotSubmitted(let arrayJobID, _) = error else {
      Issue.record("unexpected error \(error)")
      return
    }
    #expect(arrayJobID == "99")
    #expect(error.description.contains("scancel 99"))
  }
}
