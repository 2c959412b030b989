// The one error enum of Orchestrator: planning, running, merging and rerunning sweeps, worker
// processes and Slurm; the executable maps it to messages and exit codes.
import Foundation

/// What can go wrong while planning, running or merging a sweep.
public enum OrchestratorError: Error, Equatable, CustomStringConvertible {
  /// `--shard` was not `i/N` with 0 <= i < N.
  case badShard(String, String)
  /// A worker process could not be started.
  case cannotStartWorker(String)
  /// A worker protocol message could not be understood.
  case protocolError(String)
  /// A path that should be a sweep result directory is not one.
  case notASweepDirectory(String)
  /// Something failed while running or writing a cell.
  case cellFailed(id: String, message: String)
  /// The file system filled up at `path`; the run stopped starting cells.
  case diskFull(path: String, done: Int, left: Int)
  /// A cell's manifest holds a config that is not the one its id names, so it cannot be rerun.
  case cellIdentity(id: String, directory: String, problem: String)
  /// A merge named a sweep other than the one the directory was run with.
  case otherSweep(directory: String, recorded: String, given: String, reason: String)

  /// A Slurm option value cannot make a valid script.
  case slurmOption(String)
  /// A Slurm script or directory could not be written.
  case slurmWriteFailed(path: String, reason: String)
  /// No `sbatch` executable was found.
  case sbatchNotFound(String)
  /// `sbatch` ran and failed (or could not start, status -1); carries its standard error.
  case sbatchFailed(script: String, status: Int32, stderr: String)
  /// `sbatch --parsable` printed something that is not a job id.
  case sbatchOutput(script: String, output: String)
  /// The array job was submitted but submitting the merge job failed; `cause` says why.
  indirect case mergeJobNotSubmitted(arrayJobID: String, cause: OrchestratorError)

  public var description: String {
    switch self {
    case .slurmOption(let message):
      "slurm: \(message)"
    case .slurmWriteFailed(let path, let reason):
      "slurm: cannot write \(path): \(reason)"
    case .sbatchNotFound(let command):
      "slurm: '\(command)' not found on PATH; submit from a Slurm login node, or run "
        + "`sweep slurm` without --submit to only write the scripts"
    case .sbatchFailed(let script, let status, let stderr):
      sbatchFailure(script: script, status: status, stderr: stderr)
    case .sbatchOutput(let script, let output):
      "slurm: sbatch --parsable \(script) printed no job id: \(output.debugDescription)"
    case .mergeJobNotSubmitted(let arrayJobID, let cause):
      "\(cause)\nslurm: array job \(arrayJobID) was submitted but its merge job was not; "
        + "run `sweep merge` yourself when it ends, or `scancel \(arrayJobID)`"
    case .badShard(let text, let expected):
      "--shard \(text): \(expected); shards are numbered 0…N−1, like SLURM_ARRAY_TASK_ID"
    case .cannotStartWorker(let why): "cannot start a worker process: \(why)"
    case .protocolError(let why): "worker protocol error: \(why)"
    case .notASweepDirectory(let path):
      "\(path): not a sweep result directory (expected manifest.json or cells/ inside)"
    case .cellFailed(let id, let message): "cell \(id) failed: \(message)"
    case .diskFull(let path, let done, let left):
      "disk full at \(path): \(done) cell\(done == 1 ? "" : "s") done, \(left) left; "
        + "free space and run the same command"
    case .cellIdentity(let id, let directory, let problem):
      "cell \(id) (\(directory)): \(problem); the config no longer names this cell, so it "
        + "cannot be recomputed (`sweep verify \(directory)` lists every such cell)"
    case .otherSweep(let directory, let recorded, let given, let reason):
      "\(directory) holds the results of `\(recorded)`, but this command names \(given) "
        + "(\(reason)); run `sweep merge \(directory)` with no sweep file to use the recorded one"
    }
  }
}

/// The message of a failed sbatch: why it could not start, or its exit status and stderr.
private func sbatchFailure(script: String, status: Int32, stderr: String) -> String {
  let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
  if status == -1 { return "slurm: could not start sbatch for \(script): \(detail)" }
  return "slurm: sbatch \(script) failed with exit status \(status)"
    + (detail.isEmpty ? "" : ": \(detail)")
}
