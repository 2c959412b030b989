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

  public var description: String {
    switch self {
    case .badShard(let text, let expected): "--shard \(text): \(expected)"
    case .cannotStartWorker(let why): "cannot start a worker process: \(why)"
    case .protocolError(let why): "worker protocol error: \(why)"
    case .notASweepDirectory(let path):
      "\(path): not a sweep result directory (expected manifest.json or cells/ inside)"
    case .cellFailed(let id, let message): "cell \(id) failed: \(message)"
    }
  }
}
