// The worker side of `sweep run`: a long-lived process (the same binary, started as
// `sweep worker`) that reads one cell per line on stdin and answers with JSON lines on stdout.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Messages between `sweep run` and its workers, one canonical JSON object per line; this is
/// the one place they are encoded (`line`) and decoded (`init(line:)`).
///
/// Parent to worker: `{"config":{...canonical config...},"dir":DIR,"id":HEX}`.
/// Worker to parent: `{"event":"progress","step":N}` (at most a few per second),
/// then `{"event":"done","status":"ok"|"diverged","steps":N}` or `{"event":"error","message":M}`
/// (with `"disk_full":PATH` when the cell could not be written because the disk is full, and
/// `"io":true` when a file system call failed: the infrastructure's failure, which `--retries`
/// may retry, not the cell's).
enum WorkerMessage: Sendable, Equatable {
  case job(directory: String, id: CellID, config: JSONValue)
  case progress(step: Int)
  case done(status: CellStatus, steps: Int)
  case error(message: String, diskFull: String? = nil, io: Bool = false)

  /// The message of a job for `directory`.
  static func job(_ job: CellJob, in directory: SweepDirectory) -> WorkerMessage {
    .job(directory: directory.path, id: job.id, config: job.canonicalConfig)
  }

  /// The message as one line of canonical JSON, without its newline.
  var line: String {
    let json: JSONValue
    switch self {
    case .job(let directory, let id, let config):
      json = .object(["dir": .string(directory), "id": .string(id.hex), "config": config])
    case .progress(let step):
      json = .object(["event": .string("progress"), "step": JSONValue(int: step)])
    case .done(let status, let steps):
      json = .object([
        "event": .string("done"), "status": .string(status.rawValue),
        "steps": JSONValue(int: steps),
      ])
    case .error(let message, let diskFull, let io):
      var members: [String: JSONValue] = ["event": .string("error"), "message": .string(message)]
      if let diskFull { members["disk_full"] = .string(diskFull) }
      if io { members["io"] = .bool(true) }
      json = .object(members)
    }
    return json.canonicalText
  }

  /// Reads one line; anything that is not exactly one of the messages is a protocol error.
  init(line: String) throws(OrchestratorError) {
    guard let json = try? JSONValue(parsing: line), json.objectValue != nil else {
      throw .protocolError("not a JSON object: \(WorkerMessage.quoted(line))")
    }
    func bad() -> OrchestratorError {
      .protocolError("not a worker message: \(WorkerMessage.quoted(line))")
    }
    guard let event = json["event"] else {
      guard let directory = json["dir"]?.stringValue, let hex = json["id"]?.stringValue,
        let config = json["config"]
      else { throw .protocolError("bad job line: \(line)") }
      guard let id = CellID(hex: hex), id.hex == hex else {
        throw .protocolError("bad job line: \(line)")
      }
      self = .job(directory: directory, id: id, config: config)
      return
    }
    switch event.stringValue {
    case "progress":
      guard let step = json["step"]?.intValue else { throw bad() }
      self = .progress(step: step)
    case "done":
      guard let text = json["status"]?.stringValue, let status = CellStatus(rawValue: text),
        CellStatus.recorded.contains(status), let steps = json["steps"]?.intValue
      else { throw bad() }
      self = .done(status: status, steps: steps)
    case "error":
      guard let message = json["message"]?.stringValue else { throw bad() }
      let diskFull = json["disk_full"]
      if let diskFull, diskFull.stringValue == nil { throw bad() }
      let io = json["io"]
      if let io, io.boolValue == nil { throw bad() }
      self = .error(message: message, diskFull: diskFull?.stringValue, io: io?.boolValue ?? false)
    default:
      throw bad()
    }
  }

  /// A line as messages quote it: at most 200 characters.
  private static func quoted(_ line: String) -> String {
    line.count > 200 ? String(line.prefix(200)).debugDescription + "…" : line.debugDescription
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
    emit(serve(line, parent: parent))
  }
}

/// Runs the job of one line and gives the reply. A job whose id is not the hash of its config
/// is refused (`CellJob(id:verifying:)`): nothing is written under the wrong name.
private func serve(_ line: String, parent: pid_t) -> WorkerMessage {
  do {
    guard case .job(let directory, let id, let config) = try WorkerMessage(line: line) else {
      throw OrchestratorError.protocolError("bad job line: \(line)")
    }
    let job: CellJob
    do {
      job = try CellJob(id: id, verifying: config)
    } catch {
      throw OrchestratorError.protocolError("job for cell \(id.short): \(error.message)")
    }
    crashForTestsIfAsked(id)
    var lastReport = ContinuousClock.now
    let manifest = try runCell(job, in: SweepDirectory(directory)) { step in
      let now = ContinuousClock.now
      if now - lastReport > .milliseconds(200) {
        lastReport = now
        if getppid() != parent { exit(3) }
        emit(.progress(step: step))
      }
    }
    return .done(status: manifest.status, steps: manifest.stepsRun)
  } catch let error as ArtifactsError where error.isDiskFull {
    return .error(message: "\(error)", diskFull: error.file)
  } catch let error as ArtifactsError {
    // An I/O error is the file system's failure, not the cell's: `--retries` may retry it.
    if case .io = error { return .error(message: "\(error)", io: true) }
    return .error(message: "\(error)")
  } catch {
    return .error(message: "\(error)")
  }
}

/// Writes one message line; if the parent has gone away there is no one to work for, so exit.
private func emit(_ message: WorkerMessage) {
  do {
    try FileHandle.standardOutput.write(contentsOf: Data((message.line + "\n").utf8))
  } catch {
    exit(3)
  }
}

/// Fault injection for the crash-isolation tests: a worker given a cell whose id starts with
/// `SEGSWEEP_CRASH_CELL` crashes, as a real crash would: by SIGSEGV when
/// `SEGSWEEP_CRASH_SIGNAL=SEGV`, else by abort(). One given a cell whose id starts with
/// `SEGSWEEP_STOP_CELL` stops itself (SIGSTOP), as a hung worker would. `SEGSWEEP_SLOW_SECONDS`
/// makes a worker wait that long before each cell, as a slow node would (the balancing tests).
private func crashForTestsIfAsked(_ id: CellID) {
  let environment = ProcessInfo.processInfo.environment
  let hex = id.hex
  if let text = environment["SEGSWEEP_SLOW_SECONDS"], let delay = Double(text), delay > 0 {
    Thread.sleep(forTimeInterval: delay)
  }
  if let prefix = environment["SEGSWEEP_STOP_CELL"], !prefix.isEmpty, hex.hasPrefix(prefix) {
    kill(getpid(), SIGSTOP)
  }
  if let prefix = environment["SEGSWEEP_CRASH_CELL"], !prefix.isEmpty, hex.hasPrefix(prefix) {
    FileHandle.standardError.write(
      Data("sweep worker: crashing on cell \(id.short) as SEGSWEEP_CRASH_CELL asks\n".utf8))
    if environment["SEGSWEEP_CRASH_SIGNAL"] == "SEGV" { kill(getpid(), SIGSEGV) }
    abort()
  }
}
