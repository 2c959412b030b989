// The worker side of `sweep run`: a long-lived process (the same binary, started as
// `sweep worker`) that reads one cell per line on stdin and answers with JSON lines on stdout.
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Messages between `sweep run` and its workers, one JSON object per line.
///
/// Parent to worker: `{"dir": DIR, "id": HEX, "config": {...canonical config...}}`.
/// Worker to parent: `{"event":"progress","step":N}` (at most a few per second),
/// then `{"event":"done","status":"ok"|"diverged","steps":N}` or `{"event":"error","message":M}`.
enum WorkerMessage {
  static func job(directory: String, job: CellJob) -> String {
    JSONValue.object([
      "dir": .string(directory), "id": .string(job.hex), "config": job.canonicalConfig,
    ]).canonicalText
  }
}

/// Serves cells from standard input until it closes. Used by the hidden `sweep worker` verb.
public func serveWorker() {
  // A worker whose parent is gone stops: writes to the closed pipe fail (EPIPE, not a signal),
  // and a parent killed mid-cell is noticed at the next progress tick.
  signal(SIGPIPE, SIG_IGN)
  let parent = getppid()
  while let line = readLine() {
    guard !line.isEmpty else { continue }
    let reply: JSONValue
    do {
      let message = try JSONValue(parsing: line)
      guard let dir = message["dir"]?.stringValue, let hex = message["id"]?.stringValue,
        let configJSON = message["config"]
      else { throw OrchestratorError.protocolError("bad job line: \(line)") }
      let config = try Parameters.config(fromCanonical: configJSON)
      crashForTestsIfAsked(hex)
      var lastReport = ContinuousClock.now
      let manifest = try runCell(
        CellJob(hex: hex, config: config, canonicalConfig: configJSON), sweepDirectory: dir
      ) { step in
        let now = ContinuousClock.now
        if now - lastReport > .milliseconds(200) {
          lastReport = now
          if getppid() != parent { exit(3) }
          emit(.object(["event": .string("progress"), "step": JSONValue(int: step)]))
        }
      }
      reply = .object([
        "event": .string("done"), "status": .string(manifest.status),
        "steps": JSONValue(int: manifest.stepsRun),
      ])
    } catch {
      reply = .object(["event": .string("error"), "message": .string("\(error)")])
    }
    emit(reply)
  }
}

/// Writes one message line; if the parent has gone away there is no one to work for, so exit.
private func emit(_ message: JSONValue) {
  do {
    try FileHandle.standardOutput.write(contentsOf: Data((message.canonicalText + "\n").utf8))
  } catch {
    exit(3)
  }
}

/// Fault injection for the crash-isolation tests: a worker given a cell whose id starts with
/// `SEGSWEEP_CRASH_CELL` aborts, as a real crash would.
private func crashForTestsIfAsked(_ hex: String) {
  if let prefix = ProcessInfo.processInfo.environment["SEGSWEEP_CRASH_CELL"], !prefix.isEmpty,
    hex.hasPrefix(prefix)
  {
    abort()
  }
}
