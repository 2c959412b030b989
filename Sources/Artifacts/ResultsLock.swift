// An exclusive lock on a results directory, so two `sweep run`s never write the same cells.
// It is an flock(2) on `<dir>/.lock`: the kernel drops it when the holder dies, even by SIGKILL.

import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Holds `flock(LOCK_EX)` on `<directory>/.lock` until released or deinitialised. flock locks
/// belong to an open file description, so a second lock on the same directory fails even within
/// one process.
public final class ResultsLock {
  /// The locked directory.
  public let directory: String
  private var fd: Int32

  /// Creates `directory` if needed and takes its lock without waiting; throws `locked` with the
  /// holder's pid (as it wrote it into the lock file) when another process holds it.
  public init(directory: String) throws(ArtifactsError) {
    try createDirectories(directory)
    let path = SweepDirectory.lockFile(in: directory)
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw .io(file: path, operation: "open the lock file", reason: errnoText())
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let code = errno
      let holder = ResultsLock.holderPID(fd)
      close(fd)
      if code == EWOULDBLOCK || code == EAGAIN {
        throw .locked(directory: directory, pid: holder)
      }
      throw .io(file: path, operation: "lock", reason: String(cString: strerror(code)))
    }
    let pid = Array("\(getpid())\n".utf8)
    let wrote =
      ftruncate(fd, 0) == 0
      && pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) == $0.count }
    if !wrote {
      let reason = errnoText()
      close(fd)
      throw .io(file: path, operation: "write the pid to", reason: reason)
    }
    self.directory = directory
    self.fd = fd
  }

  deinit { release() }

  /// Releases the lock; later calls do nothing.
  public func release() {
    guard fd >= 0 else { return }
    _ = ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
    fd = -1
  }

  /// The pid of the lock's holder. A holder writes its pid just after taking the lock, so an
  /// empty file means it is between the two: read again for up to a second before giving up.
  private static func holderPID(_ fd: Int32) -> Int32? {
    for _ in 0..<100 {
      if let pid = recordedPID(fd) { return pid }
      usleep(10_000)
    }
    return nil
  }

  /// The pid written in the lock file, if it holds one.
  private static func recordedPID(_ fd: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return nil }
    let text = String(decoding: buffer[0..<n], as: UTF8.self)
    return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
