// The worker side of `sweep run`: a long-lived process (the same binary, started as
// `sweep worker`) that reads one cell per line on stdin and answers with JSON lines on stdout.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Messages between `sweep run` and its workers, one JSON object per line.
///
/// Parent to worker: `{"dir": DIR, "id": HEX, "config": {...canonical config...}}`.
/// Worker to parent: `{"event":"progress","step":N}` (at most a few per second),
/// then `{"event":"done","status":"ok"|"diverged","steps":N}` or `{"event":"error","message":M}`
/// (with `"disk_full": PATH` when the cell could not be written because the disk is full).
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
  // Ctrl-C and SIGTERM reach the whole process group; the parent decides what stops (it kills
  // its workers and records the cells as interrupted, not failed).
  signal(SIGINT, SIG_IGN)
  signal(SIGTERM, SIG_IGN)
  let parent = getppid()
  while let line = readLine() {
    guard !line.isEmpty else { continue }
    let reply: JSONValue
    do {
      let message = try JSONValue(parsing: line)
      guard let dir = message["dir"]?.stringValue, let hex = message["id"]?.stringValue,
        let configJSON = message["config"]
      else { throw OrchestratorError.protocolError("bad job line: \(line)") }
      if let problem = cellIdentityProblem(id: hex, config: configJSON) {
        throw OrchestratorError.protocolError("job for cell \(hex.prefix(12)): \(problem)")
      }
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
    } catch let error as ArtifactsError where error.isDiskFull {
      reply = .object([
        "event": .string("error"), "message": .string("\(error)"),
        "disk_full": .string(error.file),
      ])
    } catch {
      // An I/O error is the file system's failure, not the cell's: `--retries` may retry it.
      var io = false
      if case .io = error as? ArtifactsError { io = true }
      reply = .object([
        "event": .string("error"), "message": .string("\(error)"), "io": .bool(io),
      ])
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
/// `SEGSWEEP_CRASH_CELL` crashes, as a real crash would: by SIGSEGV when
/// `SEGSWEEP_CRASH_SIGNAL=SEGV`, else by abort(). One given a cell whose id starts with
/// `SEGSWEEP_STOP_CELL` stops itself (SIGSTOP), as a hung worker would. `SEGSWEEP_SLOW_SECONDS`
/// makes a worker wait that long before each cell, as a slow node would (the balancing tests).
private func crashForTestsIfAsked(_ hex: String) {
  let environment = ProcessInfo.processInfo.environment
  if let text = environment["SEGSWEEP_SLOW_SECONDS"], let delay = Double(text), delay > 0 {
    Thread.sleep(forTimeInterval: delay)
  }
  if let prefix = environment["SEGSWEEP_STOP_CELL"], !prefix.isEmpty, hex.hasPrefix(prefix) {
    kill(getpid(), SIGSTOP)
  }
  if let prefix = environment["SEGSWEEP_CRASH_CELL"], !prefix.isEmpty, hex.hasPrefix(prefix) {
    FileHandle.standardError.write(
      Data("sweep worker: crashing on cell \(hex.prefix(12)) as SEGSWEEP_CRASH_CELL asks\n".utf8))
    if environment["SEGSWEEP_CRASH_SIGNAL"] == "SEGV" { kill(getpid(), SIGSEGV) }
    abort()
  }
}
