// Tests of the results-directory lock.

import Foundation
import Testing

@testable import Artifacts

@Suite struct ResultsLockTests {
  @Test func secondLockFailsNamingDirectoryAndPid() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/results/paper"
    let lock = try ResultsLock(directory: path)
    #expect(
      try String(contentsOfFile: path + "/.lock", encoding: .utf8) == "\(getpid())\n")
    do {
      _ = try ResultsLock(directory: path)
      Issue.record("a second lock on the same directory succeeded")
    } catch {
      #expect(error == .locked(directory: path, pid: getpid()))
      #expect(
        error.description
          == "another `sweep run` (pid \(getpid())) is writing \(path); wait for it or stop it")
    }
    lock.release()
    let again = try ResultsLock(directory: path)
    again.release()
  }

  @Test func deinitReleases() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    do { _ = try ResultsLock(directory: directory.path) }
    let lock = try ResultsLock(directory: directory.path)
    lock.release()
    lock.release()
  }
}

@Suite struct ResultsLockPIDTests {
  /// A holder that has taken the lock but not yet written its pid: the error still names it.
  @Test func thePidIsNamedEvenWhenTheHolderHasJustTakenTheLock() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/.lock"
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    let writer = Thread {
      usleep(50_000)
      let pid = Array("4242\n".utf8)
      _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
    writer.start()
    #expect(throws: ArtifactsError.locked(directory: directory.path, pid: 4242)) {
      _ = try ResultsLock(directory: directory.path)
    }
  }
}
