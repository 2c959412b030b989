// A child process with pipes to its stdin and stdout (and optionally stderr), started with
// posix_spawn: the one way this tool starts processes (workers, sbatch). Foundation's Process
// takes tens of milliseconds per start here, which alone would exceed the orchestration budget
// on short sweeps, and it cannot make every pipe end close-on-exec before a concurrent spawn.
import Foundation

/// A running child process whose stdin and stdout are pipes owned by this object.
final class ChildProcess {
  let pid: pid_t
  /// Write end of the child's stdin.
  let stdinFD: Int32
  /// Read end of the child's stdout.
  let stdoutFD: Int32
  /// The child's stderr when it is captured (else the child inherits ours).
  let standardError: StderrCapture?
  private var status: Int32?

  /// What becomes of the child's stderr.
  enum StandardError {
    /// The child writes to this process's stderr.
    case inherited
    /// Read into `standardError` (its last lines are kept).
    case captured
    /// Read into `standardError` and passed on to this process's stderr as it arrives.
    case capturedAndEchoed
  }

  /// Starts `executable` with `arguments` (not including argv[0]); stderr is inherited unless
  /// `standardError` says otherwise. The environment is this process's with
  /// `SWIFT_BACKTRACE=enable=no`, so that a crashing child dies at once instead of being held
  /// alive by Swift's backtracer.
  init(executable: String, arguments: [String], standardError: StandardError = .inherited) throws {
    // Every pipe end is close-on-exec before any other spawn can see it: slots spawn
    // concurrently, and an end leaked into a sibling worker would keep a dead worker's pipe
    // open until the sibling exits. Glibc's module does not export pipe2, so pipe + FD_CLOEXEC
    // and the spawn run under one process-wide lock. dup2 onto stdin/stdout in the child clears
    // the flag on those two copies only.
    spawnLock.lock()
    defer { spawnLock.unlock() }
    let toChild = try makePipe()
    let fromChild: (read: Int32, write: Int32)
    var errorsFromChild: (read: Int32, write: Int32)?
    do {
      fromChild = try makePipe()
      if standardError != .inherited {
        do {
          errorsFromChild = try makePipe()
        } catch {
          close(fromChild.read)
          close(fromChild.write)
          throw error
        }
      }
    } catch {
      close(toChild.read)
      close(toChild.write)
      throw error
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild.read, STDIN_FILENO)
    posix_spawn_file_actions_adddup2(&actions, fromChild.write, STDOUT_FILENO)
    if let errorsFromChild {
      posix_spawn_file_actions_adddup2(&actions, errorsFromChild.write, STDERR_FILENO)
    }
    closeInheritedDescriptors(&actions)

    let argv = ([executable] + arguments).map { strdup($0) }
    defer { for arg in argv { free(arg) } }
    var cArgv = argv + [nil]
    let envp = childEnvironment().map { strdup($0) }
    defer { for entry in envp { free(entry) } }
    var cEnvp = envp + [nil]
    var child: pid_t = 0
    let spawned = cArgv.withUnsafeMutableBufferPointer { buffer -> Int32 in
      cEnvp.withUnsafeMutableBufferPointer { environment -> Int32 in
        guard let base = buffer.baseAddress, let env = environment.baseAddress else {
          return EINVAL
        }
        return posix_spawn(&child, executable, &actions, nil, base, env)
      }
    }
    close(toChild.read)
    close(fromChild.write)
    if let errorsFromChild { close(errorsFromChild.write) }
    guard spawned == 0 else {
      close(toChild.write)
      close(fromChild.read)
      if let errorsFromChild { close(errorsFromChild.read) }
      throw OrchestratorError.cannotStartWorker(
        "\(executable): \(String(cString: strerror(spawned)))")
    }
    pid = child
    stdinFD = toChild.write
    stdoutFD = fromChild.read
    self.standardError = errorsFromChild.map {
      StderrCapture(fd: $0.read, echo: standardError == .capturedAndEchoed)
    }
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

  /// Waits for the child to exit and describes how it ended. A captured stderr has been read to
  /// its end when this returns (unless something the child started holds it open over a second).
  @discardableResult
  func wait() -> String {
    if status == nil {
      var raw: Int32 = 0
      while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
      status = raw
      close(stdoutFD)
      standardError?.waitForEnd(seconds: 1)
    }
    return describeExit(status ?? 0)
  }

  /// After `wait`: the exit code when the child exited, or the signal's number (negated) when
  /// it was killed by one.
  var exitCode: Int32? {
    guard let status else { return nil }
    let signal = status & 0x7F
    return signal != 0 ? -signal : (status >> 8) & 0xFF
  }

  /// Kills the child with SIGKILL (it is reaped by `wait`).
  func kill() {
    if status == nil { _ = Glibc.kill(pid, SIGKILL) }
  }
}

/// A child's stderr pipe, read on its own thread until the child closes it; the thread owns the
/// descriptor and closes it at the end. With `echo`, every byte is passed on to this process's
/// stderr as it arrives. The last `kept` lines (each cut at 1000 bytes) are kept.
final class StderrCapture: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  private var partial: [UInt8] = []
  /// Lines seen in total, so that `lines(since:)` can count from a mark.
  private var total = 0
  private let ended = DispatchSemaphore(value: 0)
  static let kept = 20

  init(fd: Int32, echo: Bool) {
    let thread = Thread { [self] in
      var chunk = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        if echo { _ = chunk.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, n) } }
        add(chunk[0..<n])
      }
      close(fd)
      ended.signal()
    }
    thread.stackSize = 1 << 18
    thread.start()
  }

  private func add(_ bytes: ArraySlice<UInt8>) {
    lock.withLock {
      for byte in bytes {
        if byte == UInt8(ascii: "\n") {
          lines.append(String(decoding: partial, as: UTF8.self))
          partial = []
          total += 1
          if lines.count > StderrCapture.kept {
            lines.removeFirst(lines.count - StderrCapture.kept)
          }
        } else if partial.count < 1000 {
          partial.append(byte)
        }
      }
    }
  }

  /// A mark of where the output is now.
  func mark() -> Int { lock.withLock { total } }

  /// The kept lines written since `mark` (and an unterminated last line), at most `kept`.
  func lines(since mark: Int) -> [String] {
    lock.withLock {
      var result = Array(lines.suffix(max(0, min(lines.count, total - mark))))
      if !partial.isEmpty { result.append(String(decoding: partial, as: UTF8.self)) }
      return result
    }
  }

  /// The kept lines, joined: all of a short child's stderr (sbatch's one or two lines).
  var text: String { lines(since: 0).joined(separator: "\n") }

  /// Waits (at most `seconds`) for the pipe to close, after the child ended.
  func waitForEnd(seconds: Double) {
    if ended.wait(timeout: .now() + seconds) == .success { ended.signal() }
  }
}

/// Everything the child writes to `fd` until it closes it.
func readToEnd(_ fd: Int32) -> [UInt8] {
  var out: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 4096)
  while true {
    let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { return out }
    out.append(contentsOf: chunk[0..<n])
  }
}

/// "exit status 3", or "killed by signal 11 (SIGSEGV: Segmentation fault)" for a wait status.
func describeExit(_ raw: Int32) -> String {
  let signal = raw & 0x7F
  if signal != 0 {
    let names: [Int32: String] = [
      SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL",
      SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGINT: "SIGINT",
      SIGTRAP: "SIGTRAP",
    ]
    let name = names[signal].map { "\($0): " } ?? ""
    let text = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
    return "killed by signal \(signal) (\(name)\(text))"
  }
  return "exit status \((raw >> 8) & 0xFF)"
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up at run time
/// because Glibc's module does not export it.
private let addCloseFrom:
  (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard
      let symbol = dlsym(
        UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
    else { return nil }
    return unsafeBitCast(
      symbol,
      to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
  }()

/// Closes every descriptor above stderr in the child, so it inherits nothing but its pipes and
/// stderr even from code (Foundation, libraries, a test runner) that opens descriptors without
/// close-on-exec. Without the glibc call, only our own descriptors are guarded (by the flag).
private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
  if let addCloseFrom { _ = addCloseFrom(&actions, 3) }
}

/// Held while a pipe is made close-on-exec and while a child is spawned, so that no spawn
/// happens between the two.
private let spawnLock = NSLock()

/// A pipe whose two ends are close-on-exec (call with `spawnLock` held).
func makePipe() throws -> (read: Int32, write: Int32) {
  var fds: [Int32] = [0, 0]
  guard pipe(&fds) == 0 else { throw OrchestratorError.cannotStartWorker(errnoText("pipe")) }
  for fd in fds where fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
    let reason = errnoText("fcntl")
    close(fds[0])
    close(fds[1])
    throw OrchestratorError.cannotStartWorker(reason)
  }
  return (fds[0], fds[1])
}

/// This process's environment with Swift's crash backtracer turned off, for child processes.
func childEnvironment() -> [String] {
  var entries = ProcessInfo.processInfo.environment.filter { $0.key != "SWIFT_BACKTRACE" }
    .map { "\($0.key)=\($0.value)" }.sorted()
  entries.append("SWIFT_BACKTRACE=enable=no")
  return entries
}

private func errnoText(_ call: String) -> String {
  "\(call): \(String(cString: strerror(errno)))"
}
