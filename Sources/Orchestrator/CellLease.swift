// Dynamic balancing (`sweep run --dynamic`): every process takes the next unclaimed cell,
// longest first, by creating `claims/<id>` with O_EXCL on the shared results file system. The
// claim is a lease: it names the host and pid, and its holder touches its mtime while the cell
// runs. A claim whose mtime is older than the lease (or whose holder on this host is dead) is
// taken over. A cell's bytes are the same whoever finishes it, so a rare double run is harmless.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How long a claim lives without a heartbeat: 60 s, or `SEGSWEEP_LEASE_SECONDS` (for tests).
public func defaultLeaseSeconds() -> Double {
  if let text = ProcessInfo.processInfo.environment["SEGSWEEP_LEASE_SECONDS"],
    let seconds = Double(text), seconds > 0
  {
    return seconds
  }
  return 60
}

/// One held claim of a cell.
final class CellLease {
  let path: String
  /// The file's contents, `{"host":…,"pid":…,"claimed":…,"lease":<random>}`: how `release`
  /// knows the claim is still ours.
  let token: [UInt8]

  private init(path: String, token: [UInt8]) {
    self.path = path
    self.token = token
  }

  /// Claims cell `id` (`SweepDirectory.claim`), taking over an expired claim; nil when a live
  /// holder has it.
  static func claim(_ id: CellID, in directory: SweepDirectory, leaseSeconds: Double) -> CellLease?
  {
    _ = try? createDirectories(directory.claims)
    let path = directory.claim(id)
    let token = Array(
      (JSONValue.object([
        "host": .string(hostName()), "pid": JSONValue(int: Int(getpid())),
        "claimed": .string(iso8601(Date())),
        "lease": .string(String(UInt64.random(in: 0...UInt64.max), radix: 16)),
      ]).canonicalText + "\n").utf8)
    for _ in 0..<2 {
      let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
      if fd >= 0 {
        let wrote = token.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if wrote != token.count {
          _ = unlink(path)
          return nil
        }
        return CellLease(path: path, token: token)
      }
      guard errno == EEXIST, claimExpired(path, leaseSeconds: leaseSeconds) else { return nil }
      // Take over: move the stale claim aside (one taker wins the rename), and put it back if
      // what was moved turns out to be fresh (another taker's new claim).
      let aside = "\(path).expired-\(getpid())"
      guard rename(path, aside) == 0 else { return nil }
      if !claimExpired(aside, leaseSeconds: leaseSeconds) {
        _ = link(aside, path)
        _ = unlink(aside)
        return nil
      }
      _ = unlink(aside)
    }
    return nil
  }

  /// Touches the claim's mtime: the lease's heartbeat.
  func heartbeat() {
    _ = utimes(path, nil)
  }

  /// Removes the claim if it is still ours (not taken over).
  func release() {
    if let data = FileManager.default.contents(atPath: path), Array(data) == token {
      _ = unlink(path)
    }
  }
}

/// Whether the claim at `path` has expired: its mtime is older than the lease, or it names a
/// process on this host that no longer exists. A claim that cannot be read or parsed counts by
/// its mtime alone.
func claimExpired(_ path: String, leaseSeconds: Double, now: Date = Date()) -> Bool {
  guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
    let modified = attributes[.modificationDate] as? Date
  else { return false }
  if now.timeIntervalSince(modified) > leaseSeconds { return true }
  if let data = FileManager.default.contents(atPath: path),
    let holder = try? JSONValue(parsing: Array(data)),
    holder["host"]?.stringValue == hostName(), let pid = holder["pid"]?.intValue
  {
    return kill(pid_t(pid), 0) != 0 && errno == ESRCH
  }
  return false
}

/// The claims of one `sweep run --dynamic`: takes a claim before each cell, keeps the held ones
/// alive with a heartbeat thread, and releases each when its cell ends.
final class DynamicClaims: @unchecked Sendable {
  let directory: SweepDirectory
  let leaseSeconds: Double
  private let lock = NSLock()
  private var held: [CellID: CellLease] = [:]
  private var stopped = false
  /// Cells skipped because they were done or claimed by another process.
  private(set) var skipped = 0

  init(directory: SweepDirectory, leaseSeconds: Double = defaultLeaseSeconds()) {
    self.directory = directory
    self.leaseSeconds = leaseSeconds
    let interval = max(0.05, leaseSeconds / 4)
    let thread = Thread { [weak self] in
      while let self, !self.isStopped {
        Thread.sleep(forTimeInterval: interval)
        for lease in self.lock.withLock({ Array(self.held.values) }) { lease.heartbeat() }
      }
    }
    thread.start()
  }

  private var isStopped: Bool { lock.withLock { stopped } }

  /// Claims `id` for this process; false when it is done already or another process holds it.
  func take(_ id: CellID) -> Bool {
    if lock.withLock({ held[id] != nil }) { return true }  // ours already: a retry
    if cellIsDone(id, in: directory) {
      lock.withLock { skipped += 1 }
      return false
    }
    guard let lease = CellLease.claim(id, in: directory, leaseSeconds: leaseSeconds) else {
      lock.withLock { skipped += 1 }
      return false
    }
    // Another process may have finished the cell between the check and the claim.
    if cellIsDone(id, in: directory) {
      lease.release()
      lock.withLock { skipped += 1 }
      return false
    }
    lock.withLock { held[id] = lease }
    return true
  }

  /// Releases the claim of `id` once its cell has ended (done, diverged or failed).
  func release(_ id: CellID) {
    lock.withLock { held.removeValue(forKey: id) }?.release()
  }

  /// Releases every claim still held and stops the heartbeat.
  func stop() {
    let leases = lock.withLock {
      stopped = true
      defer { held = [:] }
      return Array(held.values)
    }
    for lease in leases { lease.release() }
  }
}
