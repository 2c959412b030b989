// A child process with pipes to its stdin and stdout, started with posix_spawn. Foundation's
// Process takes tens of milliseconds per start here, which alone would exceed the orchestration
// budget on short sweeps.
import Foundation

/// A running child process whose stdin and stdout are pipes owned by this object.
final class ChildProcess {
  let pid: pid_t
  /// Write end of the child's stdin.
  let stdinFD: Int32
  /// Read end of the child's stdout.
  let stdoutFD: Int32
  private var status: Int32?

  /// Starts `executable` with `arguments` (not including argv[0]); stderr is inherited.
  init(executable: String, arguments: [String]) throws {
    var toChild: [Int32] = [0, 0]
    var fromChild: [Int32] = [0, 0]
    guard pipe(&toChild) == 0 else { throw OrchestratorError.cannotStartWorker(errnoText("pipe")) }
    guard pipe(&fromChild) == 0 else {
      close(toChild[0])
      close(toChild[1])
      throw OrchestratorError.cannotStartWorker(errnoText("pipe"))
    }
    // The parent's ends must not leak into other children.
    _ = fcntl(toChild[1], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fromChild[0], F_SETFD, FD_CLOEXEC)

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], STDIN_FILENO)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], STDOUT_FILENO)
    posix_spawn_file_actions_addclose(&actions, toChild[0])
    posix_spawn_file_actions_addclose(&actions, fromChild[1])

    let argv = ([executable] + arguments).map { strdup($0) }
    defer { for arg in argv { free(arg) } }
    var cArgv = argv + [nil]
    var child: pid_t = 0
    let spawned = cArgv.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let base = buffer.baseAddress else { return EINVAL }
      return posix_spawn(&child, executable, &actions, nil, base, environ)
    }
    close(toChild[0])
    close(fromChild[1])
    guard spawned == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw OrchestratorError.cannotStartWorker(
        "\(executable): \(String(cString: strerror(spawned)))")
    }
    pid = child
    stdinFD = toChild[1]
    stdoutFD = fromChild[0]
  }

  /// Writes all of `bytes` to the child's stdin; false when the child has gone.
  func write(_ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return false }
      offset += n
    }
    return true
  }

  /// Closes the child's stdin, so a worker reading it exits.
  func closeInput() {
    close(stdinFD)
  }

  /// Waits for the child to exit and describes how it ended.
  @discardableResult
  func wait() -> String {
    if status == nil {
      var raw: Int32 = 0
      while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
      status = raw
      close(stdoutFD)
    }
    let raw = status ?? 0
    let signal = raw & 0x7F
    if signal != 0 { return "killed by signal \(signal)" }
    return "exit status \((raw >> 8) & 0xFF)"
  }
}

private func errnoText(_ call: String) -> String {
  "\(call): \(String(cString: strerror(errno)))"
}
