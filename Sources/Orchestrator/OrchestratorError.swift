// Errors of planning and running sweeps; the executable maps them to messages and exit codes.

/// What can go wrong while planning, running or merging a sweep.
public enum OrchestratorError: Error, CustomStringConvertible {
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

  public var description: String {
    switch self {
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
