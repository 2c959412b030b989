// Tests of the posix_spawn wrapper: pipes that never leak into sibling children, the crash
// backtracer turned off in children, how an exit status is described, and a captured stderr.
import Foundation
import Testing

@testable import Orchestrator

/// Reads a child's whole stdout and waits for it.
private func output(of child: ChildProcess) -> String {
  var reader = LineReader(fd: child.stdoutFD)
  var lines: [String] = []
  while let line = reader.nextLine() { lines.append(line) }
  child.closeInput()
  child.wait()
  return lines.joined(separator: "\n")
}

/// The pipes (`pipe:[inode]`) of a child's `ls -l /proc/self/fd` listing, by descriptor.
private func pipes(_ listing: String) -> [Int: String] {
  var out: [Int: String] = [:]
  for line in listing.split(separator: "\n") where line.contains("-> pipe:") {
    let words = line.split(separator: " ")
    guard let arrow = words.firstIndex(of: "->"), arrow > 0, arrow + 1 < words.count,
      let fd = Int(words[arrow - 1])
    else { continue }
    out[fd] = String(words[arrow + 1])
  }
  return out
}

@Test func childrenSpawnedAtOnceHoldNoSiblingsPipes() throws {
  // As `sweep run`'s slots do, several threads spawn at the same moment; each child stays alive
  // a little (so siblings overlap), then lists its own descriptors.
  final class Collected: @unchecked Sendable {
    let lock = NSLock()
    var listings: [String] = []
    var failures: [String] = []
  }
  let collected = Collected()
  let group = DispatchGroup()
  for _ in 0..<8 {
    group.enter()
    Thread {
      defer { group.leave() }
      for _ in 0..<3 {
        do {
          let child = try ChildProcess(
            executable: "/bin/sh", arguments: ["-c", "sleep 0.1; exec ls -l /proc/self/fd"])
          let text = output(of: child)
          collected.lock.withLock { collected.listings.append(text) }
        } catch {
          collected.lock.withLock { collected.failures.append("\(error)") }
        }
      }
    }.start()
  }
  group.wait()
  #expect(collected.failures.isEmpty, "\(collected.failures)")
  #expect(collected.listings.count == 24)
  // Each child's stdin and stdout pipes; no child may hold another child's (other pipes, such
  // as the test runner's own, are not ours to judge).
  let own = collected.listings.map { listing in
    Set([0, 1].compactMap { pipes(listing)[$0] })
  }
  let all = own.reduce(Set<String>()) { $0.union($1) }
  for (listing, mine) in zip(collected.listings, own) {
    let others = pipes(listing).filter { fd, pipe in
      fd > 2 && all.contains(pipe) && !mine.contains(pipe)
    }
    #expect(others.isEmpty, "a child holds a sibling's pipe:\n\(listing)")
  }
}

@Test func childrenRunWithoutTheSwiftBacktracer() throws {
  let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "echo $SWIFT_BACKTRACE"])
  #expect(output(of: child) == "enable=no")
}

@Test func exitStatusesAreDescribed() {
  #expect(describeExit(3 << 8) == "exit status 3")
  #expect(describeExit(SIGSEGV) == "killed by signal 11 (SIGSEGV: Segmentation fault)")
  #expect(describeExit(SIGKILL).hasPrefix("killed by signal 9 (SIGKILL: "))
}

@Test func childrenInheritNoDescriptorsBeyondTheirPipesAndStderr() throws {
  // A descriptor this process opened without close-on-exec, as libraries and test runners do.
  let stray = open("/dev/null", O_RDONLY)
  defer { close(stray) }
  let child = try ChildProcess(
    executable: "/bin/sh", arguments: ["-c", "exec ls -l /proc/self/fd"])
  let listing = output(of: child)
  let extra = listing.split(separator: "\n").filter { line in
    let words = line.split(separator: " ")
    guard let arrow = words.firstIndex(of: "->"), arrow > 0, let fd = Int(words[arrow - 1])
    else { return false }
    return fd > 2 && !line.contains("/proc/")  // ls's own handle on the directory it lists
  }
  #expect(extra.isEmpty, "\(listing)")
}

@Test func capturedStderrKeepsTheLinesSinceAMark() throws {
  var fds: [Int32] = [0, 0]
  #expect(pipe(&fds) == 0)
  let tail = StderrCapture(fd: fds[0], echo: false)
  func say(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
  }
  say("old\n")
  while tail.mark() < 1 { usleep(1000) }
  let mark = tail.mark()
  say("new 1\nnew 2\n")
  close(fds[1])
  tail.waitForEnd(seconds: 5)
  #expect(tail.lines(since: mark) == ["new 1", "new 2"])
  #expect(tail.text == "old\nnew 1\nnew 2")
}

@Test func aCapturedStderrIsReadToItsEndByWait() throws {
  let child = try ChildProcess(
    executable: "/bin/sh", arguments: ["-c", "echo first >&2; printf 'last' >&2; exit 3"],
    standardError: .captured)
  child.closeInput()
  #expect(child.wait() == "exit status 3")
  #expect(child.standardError?.text == "first\nlast")
  let inherited = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exit 0"])
  inherited.closeInput()
  inherited.wait()
  #expect(inherited.standardError == nil)
}
