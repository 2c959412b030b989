// The failure ledger: every attempt at a cell, appended as one JSON line to
// `attempts/<id>.ndjson` in the results directory (start, end, host, worker pid, outcome, exit
// status or signal, the last lines of the worker's stderr, whether it stalled). It is never read
// to decide what a cell contains, and the cell's own files never mention it: a cell's bytes do
// not depend on how many attempts it took.

import CanonicalJSON
import Foundation
import SweepSpec

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One attempt at a cell.
public struct Attempt: Sendable, Equatable {
  /// How the attempt ended.
  public enum Outcome: String, Sendable {
    case ok, diverged, failed, interrupted
    case diskFull = "disk_full"
  }

  public var started: String
  public var ended: String
  public var host: String
  /// The worker process that ran it (0 when none could be started).
  public var workerPID: Int
  public var outcome: Outcome
  /// How the worker ended when it died in the attempt ("killed by signal 9 (SIGKILL: Killed)",
  /// "exit status 3"); nil when it lived on.
  public var exit: String?
  /// The signal that killed the worker, if one did.
  public var signal: Int?
  /// Whether the watchdog killed a silent worker.
  public var stalled: Bool
  /// Why it failed, as the run reported it.
  public var message: String?
  /// The last lines the worker wrote to stderr during the attempt.
  public var stderrTail: [String]
  /// Whether the run tried the cell again after this attempt (`--retries`).
  public var retried: Bool

  public init(
    started: String, ended: String, host: String, workerPID: Int, outcome: Outcome,
    exit: String? = nil, signal: Int? = nil, stalled: Bool = false, message: String? = nil,
    stderrTail: [String] = [], retried: Bool = false
  ) {
    self.started = started
    self.ended = ended
    self.host = host
    self.workerPID = workerPID
    self.outcome = outcome
    self.exit = exit
    self.signal = signal
    self.stalled = stalled
    self.message = message
    self.stderrTail = stderrTail
    self.retried = retried
  }

  /// One ledger line's object (docs/FORMATS.md).
  public var json: JSONValue {
    .object([
      "started": .string(started), "ended": .string(ended), "host": .string(host),
      "worker_pid": JSONValue(int: workerPID), "outcome": .string(outcome.rawValue),
      "exit": exit.map { .string($0) } ?? .null,
      "signal": signal.map { JSONValue(int: $0) } ?? .null, "stalled": .bool(stalled),
      "message": message.map { .string($0) } ?? .null,
      "stderr_tail": .array(stderrTail.map { .string($0) }), "retried": .bool(retried),
    ])
  }

  /// Reads one ledger line's object; nil when it is not one.
  public init?(json: JSONValue) {
    guard let started = json["started"]?.stringValue, let ended = json["ended"]?.stringValue,
      let host = json["host"]?.stringValue, let pid = json["worker_pid"]?.intValue,
      let outcome = json["outcome"]?.stringValue.flatMap(Outcome.init(rawValue:))
    else { return nil }
    self.init(
      started: started, ended: ended, host: host, workerPID: pid, outcome: outcome,
      exit: json["exit"]?.stringValue, signal: json["signal"]?.intValue,
      stalled: json["stalled"]?.boolValue ?? false, message: json["message"]?.stringValue,
      stderrTail: json["stderr_tail"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      retried: json["retried"]?.boolValue ?? false)
  }

  /// "failed (killed by signal 9 (SIGKILL: Killed)) on vm pid 4242 at 2026-…, retried".
  public var summary: String {
    var what = outcome.rawValue
    if stalled {
      what += " (stalled)"
    } else if let exit {
      what += " (\(exit))"
    }
    var text = "\(what) on \(host) pid \(workerPID) at \(started)"
    if retried { text += ", retried" }
    return text
  }
}

/// Reading and appending the attempts of cells (`SweepDirectory.attemptLedger`).
public enum AttemptLedger {
  /// Appends `attempt` to the ledger of cell `id` with one `write` on an `O_APPEND` descriptor
  /// (best effort: a run's results never depend on its ledger).
  public static func append(_ attempt: Attempt, for id: CellID, in directory: SweepDirectory) {
    _ = try? createDirectories(directory.attempts)
    let line = Array((attempt.json.canonicalText + "\n").utf8)
    let fd = open(directory.attemptLedger(id), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
  }

  /// The recorded attempts at cell `id`, oldest first; lines that do not parse are skipped.
  public static func attempts(_ id: CellID, in directory: SweepDirectory) -> [Attempt] {
    guard let data = FileManager.default.contents(atPath: directory.attemptLedger(id)) else {
      return []
    }
    return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
      (try? JSONValue(parsing: Array(line))).flatMap(Attempt.init(json:))
    }
  }

  /// Number of recorded attempts per cell, for every cell with a ledger.
  public static func counts(in directory: SweepDirectory) -> [CellID: Int] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.attempts)) ?? []
    var counts: [CellID: Int] = [:]
    for id in names.compactMap(SweepDirectory.attemptLedgerID(fileName:)) {
      counts[id] = attempts(id, in: directory).count
    }
    return counts
  }
}
