// Slurm support: writes a job-array script (one shard per array task) and a dependent merge
// script for a sweep, and submits both with sbatch.
import Artifacts
import Foundation

/// Everything needed to run one sweep as a Slurm job array followed by a merge job.
public struct SlurmOptions: Sendable, Equatable {
  /// Absolute path of the sweep YAML file.
  public var sweepPath: String
  /// The sweep's `name:`; results go to `resultsRoot/sweepName`.
  public var sweepName: String
  /// Absolute path of the results root.
  public var resultsRoot: String
  /// Number of array tasks, which is also the number of shards.
  public var tasks: Int
  /// Slurm partition (`--partition`), or the cluster default.
  public var partition: String?
  /// Time limit per task (`--time`, e.g. `01:00:00`), or the partition default.
  public var time: String?
  /// CPUs per task; each task runs its shard with this many worker jobs.
  public var cpusPerTask: Int
  /// Memory per task (`--mem`, e.g. `4G`), or the cluster default.
  public var mem: String?
  /// Extra sbatch options written verbatim as `#SBATCH <arg>` lines (e.g. `--account=proj`).
  public var extraSbatchArgs: [String]
  /// Largest number of array tasks running at once (`--array=…%K`), or no limit.
  public var maxConcurrent: Int?
  /// `--set key=value` overrides, passed through to every `sweep` command.
  public var overrides: [String]
  /// Absolute path of the `sweep` binary, which every node must see.
  public var executable: String
  /// Directory the jobs change into before running `sweep`.
  public var workingDirectory: String
  /// Tasks take cells by claim (`sweep run --dynamic`) instead of one shard each.
  public var dynamic = false
  /// `sweep run --retries N` in every task: infrastructure failures are retried N times.
  public var retries = 0

  /// Creates options; optional settings default to the cluster's defaults.
  public init(
    sweepPath: String, sweepName: String, resultsRoot: String, tasks: Int,
    partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1, mem: String? = nil,
    extraSbatchArgs: [String] = [], maxConcurrent: Int? = nil, overrides: [String] = [],
    executable: String, workingDirectory: String
  ) {
    self.sweepPath = sweepPath
    self.sweepName = sweepName
    self.resultsRoot = resultsRoot
    self.tasks = tasks
    self.partition = partition
    self.time = time
    self.cpusPerTask = cpusPerTask
    self.mem = mem
    self.extraSbatchArgs = extraSbatchArgs
    self.maxConcurrent = maxConcurrent
    self.overrides = overrides
    self.executable = executable
    self.workingDirectory = workingDirectory
  }

  /// The sweep's results directory, `resultsRoot/sweepName`.
  public var sweepDirectory: String { joinPath(resultsRoot, sweepName) }

  /// The directory holding the generated scripts, `<sweep dir>/slurm`.
  public var slurmDirectory: String { SweepDirectory(sweepDirectory).slurm }

  /// The directory Slurm writes task and merge logs into, `<sweep dir>/slurm/logs`.
  public var logDirectory: String { SweepDirectory(sweepDirectory).slurmLogs }

  /// Checks the options make a valid submission; throws `OrchestratorError.slurmOption` otherwise.
  public func validate() throws {
    if tasks < 1 { throw OrchestratorError.slurmOption("--tasks must be at least 1, got \(tasks)") }
    if cpusPerTask < 1 {
      throw OrchestratorError.slurmOption("--cpus-per-task must be at least 1, got \(cpusPerTask)")
    }
    if let maxConcurrent, maxConcurrent < 1 {
      throw OrchestratorError.slurmOption(
        "--max-concurrent must be at least 1, got \(maxConcurrent)")
    }
    if sweepName.isEmpty { throw OrchestratorError.slurmOption("the sweep has an empty name") }
    let paths = [
      ("sweep file", sweepPath), ("results root", resultsRoot), ("executable", executable),
      ("working directory", workingDirectory),
    ]
    for (what, path) in paths where !path.hasPrefix("/") {
      throw OrchestratorError.slurmOption("the \(what) path must be absolute, got '\(path)'")
    }
    // A script line cannot hold a line break, and #SBATCH lines are read line by line.
    var values = [sweepPath, sweepName, resultsRoot, executable, workingDirectory]
    values += [partition, time, mem].compactMap { $0 }
    values += extraSbatchArgs + overrides
    for value in values where value.contains(where: { $0.isNewline || $0 == "\0" }) {
      throw OrchestratorError.slurmOption(
        "a value contains a line break or NUL: \(value.debugDescription)")
    }
  }
}

/// What `submitSlurm` submitted: the array job and the merge job that waits for it.
public struct SlurmSubmission: Sendable, Equatable {
  /// Job id of the array job (its tasks are `<id>_0` … `<id>_<N-1>`).
  public var arrayJobID: String
  /// Job id of the merge job, which starts after every array task has ended.
  public var mergeJobID: String

  /// Creates a submission record.
  public init(arrayJobID: String, mergeJobID: String) {
    self.arrayJobID = arrayJobID
    self.mergeJobID = mergeJobID
  }
}

/// Quotes a value for bash (and for sbatch's own #SBATCH parser, which reads quotes the same way).
///
/// Plain words stay bare for readability; anything else is single-quoted with `'\''` for `'`.
func shellQuoted(_ value: String) -> String {
  let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%")
  if !value.isEmpty && value.allSatisfy({ plain.contains($0) }) { return value }
  return "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Escapes `%` in a path given to `--output`/`--error`, where `%` starts a replacement symbol.
private func percentEscaped(_ path: String) -> String {
  path.replacingOccurrences(of: "%", with: "%%")
}

private func joinPath(_ directory: String, _ name: String) -> String {
  directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// `#SBATCH` lines shared by the array and the merge job: partition, time, memory, extras.
private func commonDirectives(_ o: SlurmOptions) -> [String] {
  var lines: [String] = []
  if let partition = o.partition { lines.append("#SBATCH --partition=\(shellQuoted(partition))") }
  if let time = o.time { lines.append("#SBATCH --time=\(shellQuoted(time))") }
  if let mem = o.mem { lines.append("#SBATCH --mem=\(shellQuoted(mem))") }
  lines += o.extraSbatchArgs.map { "#SBATCH \($0)" }
  return lines
}

private func overrideArguments(_ o: SlurmOptions) -> String {
  o.overrides.map { " --set \(shellQuoted($0))" }.joined()
}

/// The array job script: task i runs shard i of N with `sweep run … --shard i/N`.
///
/// N is written into the script rather than read from `$SLURM_ARRAY_TASK_COUNT`, because a rerun
/// of some tasks (`sbatch --array=2 array.sbatch`) has a smaller task count but the same shards.
public func slurmArrayScript(_ o: SlurmOptions) -> String {
  let logs = percentEscaped(o.logDirectory)
  var range = "0-\(o.tasks - 1)"
  if let maxConcurrent = o.maxConcurrent { range += "%\(maxConcurrent)" }
  var lines = [
    "#!/bin/bash",
    o.dynamic
      ? "# Generated by `sweep slurm --dynamic`: each of the \(o.tasks) array tasks takes the next"
        + " unclaimed cell of the sweep \(o.sweepName.debugDescription), longest first."
      : "# Generated by `sweep slurm`: array task i runs shard i of \(o.tasks) of the sweep"
        + " \(o.sweepName.debugDescription).",
    "# Rerun failed or cancelled tasks with: sbatch --array=<ids> <this file>"
      + " (finished cells are skipped).",
    "#SBATCH --job-name=\(shellQuoted("segsweep-" + o.sweepName))",
    "#SBATCH --array=\(range)",
    "#SBATCH --output=\(shellQuoted(logs + "/task-%A_%a.out"))",
    "#SBATCH --error=\(shellQuoted(logs + "/task-%A_%a.err"))",
    "#SBATCH --open-mode=append",
    "#SBATCH --cpus-per-task=\(o.cpusPerTask)",
  ]
  lines += commonDirectives(o)
  lines += [
    "set -euo pipefail",
    "cd \(shellQuoted(o.workingDirectory))",
    "echo \"segsweep: \(o.dynamic ? "dynamic task" : "shard") ${SLURM_ARRAY_TASK_ID}/\(o.tasks)"
      + " (job ${SLURM_ARRAY_JOB_ID:-?}_${SLURM_ARRAY_TASK_ID}) on $(hostname)\" >&2",
    "exec \(shellQuoted(o.executable)) run \(shellQuoted(o.sweepPath))"
      + (o.dynamic ? " --dynamic" : " --shard \"${SLURM_ARRAY_TASK_ID}/\(o.tasks)\"")
      + " --results \(shellQuoted(o.resultsRoot))"
      + " --jobs \(o.cpusPerTask) --quiet" + (o.retries > 0 ? " --retries \(o.retries)" : "")
      + overrideArguments(o),
  ]
  return lines.joined(separator: "\n") + "\n"
}

/// The merge job script: `sweep merge <sweep dir> <yaml>`, submitted to run after the array.
public func slurmMergeScript(_ o: SlurmOptions) -> String {
  let logs = percentEscaped(o.logDirectory)
  var lines = [
    "#!/bin/bash",
    "# Generated by `sweep slurm`: merges the per-cell artifacts of the sweep"
      + " \(o.sweepName.debugDescription) once its array job has ended.",
    "#SBATCH --job-name=\(shellQuoted("segsweep-" + o.sweepName + "-merge"))",
    "#SBATCH --output=\(shellQuoted(logs + "/merge-%j.out"))",
    "#SBATCH --cpus-per-task=1",
  ]
  lines += commonDirectives(o)
  lines += [
    "set -euo pipefail",
    "cd \(shellQuoted(o.workingDirectory))",
    "exec \(shellQuoted(o.executable)) merge \(shellQuoted(o.sweepDirectory))"
      + " \(shellQuoted(o.sweepPath))" + overrideArguments(o),
  ]
  return lines.joined(separator: "\n") + "\n"
}

/// Writes `<sweep dir>/slurm/array.sbatch` and `merge.sbatch` and creates `slurm/logs/`.
///
/// Slurm does not create the directories of `--output` paths, so the log directory must exist
/// before any task starts. Each script is written to a temporary name and renamed.
/// - Returns: the paths of the array and merge scripts.
public func writeSlurmScripts(_ o: SlurmOptions) throws -> (array: String, merge: String) {
  try o.validate()
  do {
    try FileManager.default.createDirectory(
      atPath: o.logDirectory, withIntermediateDirectories: true)
  } catch {
    throw OrchestratorError.slurmWriteFailed(
      path: o.logDirectory, reason: error.localizedDescription)
  }
  let arrayPath = SweepDirectory(o.sweepDirectory).slurmArrayScript
  let mergePath = SweepDirectory(o.sweepDirectory).slurmMergeScript
  try writeScript(slurmArrayScript(o), to: arrayPath)
  try writeScript(slurmMergeScript(o), to: mergePath)
  return (arrayPath, mergePath)
}

private func writeScript(_ text: String, to path: String) throws {
  do {
    // `.atomic` writes a temporary file in the same directory and renames it over `path`.
    try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
  } catch {
    throw OrchestratorError.slurmWriteFailed(path: path, reason: error.localizedDescription)
  }
}

/// Writes the scripts and submits them: the array job, then the merge job with
/// `--dependency=afterany:<array id>` so that it runs however the tasks end.
/// - Parameter sbatch: the sbatch command, looked up on `PATH` unless it contains a `/`.
public func submitSlurm(_ o: SlurmOptions, sbatch: String = "sbatch") throws -> SlurmSubmission {
  let scripts = try writeSlurmScripts(o)
  let executable = try resolveCommand(sbatch)
  let arrayID = try runSbatch(
    executable, arguments: ["--parsable", scripts.array], script: scripts.array)
  do {
    let mergeID = try runSbatch(
      executable, arguments: ["--parsable", "--dependency=afterany:\(arrayID)", scripts.merge],
      script: scripts.merge)
    return SlurmSubmission(arrayJobID: arrayID, mergeJobID: mergeID)
  } catch let error as OrchestratorError {
    throw OrchestratorError.mergeJobNotSubmitted(arrayJobID: arrayID, cause: error)
  }
}

private func resolveCommand(_ command: String) throws -> String {
  if command.contains("/") {
    guard FileManager.default.isExecutableFile(atPath: command) else {
      throw OrchestratorError.sbatchNotFound(command)
    }
    return command
  }
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
  for directory in path.split(separator: ":") where !directory.isEmpty {
    let candidate = joinPath(String(directory), command)
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  throw OrchestratorError.sbatchNotFound(command)
}

/// Runs sbatch and returns the job id from its `--parsable` output (`<id>` or `<id>;<cluster>`).
private func runSbatch(
  _ executable: String, arguments: [String], script: String
) throws -> String {
  let child: ChildProcess
  do {
    child = try ChildProcess(executable: executable, arguments: arguments, standardError: .captured)
  } catch OrchestratorError.cannotStartWorker(let why) {
    throw OrchestratorError.sbatchFailed(script: script, status: -1, stderr: why)
  }
  child.closeInput()
  // sbatch prints a line or two; its stderr is read on its own thread, so neither pipe can
  // block the child.
  let output = String(decoding: readToEnd(child.stdoutFD), as: UTF8.self)
  child.wait()
  let errors = child.standardError?.text ?? ""
  let code = child.exitCode ?? -1
  guard code == 0 else {
    throw OrchestratorError.sbatchFailed(
      script: script, status: code < 0 ? -code : code, stderr: errors)
  }
  guard let id = parsableJobID(output) else {
    throw OrchestratorError.sbatchOutput(script: script, output: output)
  }
  return id
}

/// The job id in `sbatch --parsable` output: the last non-empty line, up to an optional
/// `;<cluster>` suffix; nil unless it is a decimal number.
func parsableJobID(_ output: String) -> String? {
  let lines = output.split(whereSeparator: \.isNewline).map {
    $0.trimmingCharacters(in: .whitespaces)
  }
  guard let last = lines.last(where: { !$0.isEmpty }) else { return nil }
  let id = last.split(separator: ";", omittingEmptySubsequences: false)[0]
  guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
  return String(id)
}
