// `sweep rerun`: find a cell by id or prefix across result directories, recompute it from the
// config in its manifest, and compare the new step records with the stored ones.
import Artifacts
import Foundation
import SweepSpec
import TrainingCore

/// Sweep directories under a results root: the folders holding a cells/ folder.
func sweepDirectories(under root: String) throws -> [String] {
  let fm = FileManager.default
  guard let names = try? fm.contentsOfDirectory(atPath: root) else {
    throw OrchestratorError.notASweepDirectory(root)
  }
  return names.sorted().map { "\(root)/\($0)" }.filter {
    fm.fileExists(atPath: SweepDirectory($0).cells)
  }
}

/// Finds the cell with id or unique prefix `prefix` among the cell manifests in `directories`.
public func locateCell(_ prefix: String, in directories: [String]) throws -> (
  directory: String, id: CellID
) {
  var owners: [CellID: String] = [:]
  for directory in directories {
    let cells = SweepDirectory(directory).cells
    let names = (try? FileManager.default.contentsOfDirectory(atPath: cells)) ?? []
    for id in names.compactMap(SweepDirectory.manifestID(fileName:)) {
      owners[id, default: directory] = directory
    }
  }
  let id = try resolveCell(prefix, among: owners.keys.sorted())
  guard let directory = owners[id] else { throw OrchestratorError.notASweepDirectory(prefix) }
  return (directory, id)
}

/// The result of recomputing a stored cell.
public struct RerunOutcome: Sendable {
  /// The recomputed records against the stored ones; nil when the stored log is unreadable.
  public var comparison: RecordComparison?
  public var storedContentSHA256: String
  public var newContentSHA256: String
  /// Why the stored step log could not be read (missing, truncated, corrupt), if it could not.
  public var unreadableLog: String?
  /// SHA-256 of the .gz file on disk (nil when there is none) and the one the manifest records.
  public var diskGzipSHA256: String?
  public var manifestGzipSHA256: String
  /// What the manifest claims that the recomputed records contradict (content hash, record
  /// count, status, metrics), or that contradicts itself (id against the config's hash).
  public var manifestProblems: [String]
  /// Where the stored cell was made (nil for a manifest without an envelope) and where the
  /// rerun ran.
  public var madeOn: RunEnvelope?
  public var rerunOn: RunEnvelope = .current

  /// Whether the stored log and its manifest are exactly what the config produces.
  public var reproduced: Bool {
    unreadableLog == nil && comparison?.identical == true && manifestProblems.isEmpty
  }
}

/// Recomputes cell `id` of `sweepDirectory` from the config in its manifest, in memory, and
/// compares the records with the stored step log and with the manifest's claims. The config
/// must be the one the id names (`CellID.config(verifying:)`), else nothing is recomputed. With
/// `replace`, writes the recomputed records over the stored artifacts (atomically; the cell is
/// trained once); otherwise never touches them.
public func rerunCell(_ id: CellID, sweepDirectory: String, replace: Bool) throws -> RerunOutcome {
  let directory = SweepDirectory(sweepDirectory)
  let manifest = try CellManifest.load(path: directory.cellManifest(id))
  let job: CellJob
  do {
    job = try CellJob(id: id, verifying: manifest.config)
  } catch {
    throw OrchestratorError.cellIdentity(
      id: id.short, directory: sweepDirectory, problem: error.message)
  }
  let timer = RunTimer()
  var records: [StepRecord] = []
  let outcome = Trainer(config: job.config).run { records.append($0) }
  let run = timer.runSection(outcome)
  let ndjson = try StepLogCodec.encode(records: records, track: job.config.track).ndjson
  let logPath = directory.cellLog(id)
  var comparison: RecordComparison?
  var unreadable: String?
  do {
    let stored = try gunzip(contentsOf: logPath)
    comparison = compareRecordStreams(stored: stored, recomputed: ndjson)
  } catch {
    unreadable =
      FileManager.default.fileExists(atPath: logPath) ? error.reason : "the file does not exist"
  }
  var problems = manifest.claimProblems
  problems += recordProblems(manifest, ndjson: ndjson, logPath: logPath).map {
    "\($0.kind.rawValue): \($0.message)"
  }
  if replace {
    _ = try writeCell(job, records: records, outcome: outcome, run: run, in: directory)
  }
  return RerunOutcome(
    comparison: comparison, storedContentSHA256: manifest.ndjsonSHA256,
    newContentSHA256: sha256Hex(ndjson), unreadableLog: unreadable,
    diskGzipSHA256: gzipSHA256(ofFile: logPath), manifestGzipSHA256: manifest.gzipSHA256,
    manifestProblems: problems, madeOn: RunEnvelope(manifest: manifest))
}

/// The directories `rerun --results PATH` searches: PATH itself when it is a sweep directory
/// (it holds cells/), else the sweep directories under it (PATH is a results root, as `run`
/// takes).
public func rerunDirectories(results: String) throws -> [String] {
  if FileManager.default.fileExists(atPath: SweepDirectory(results).cells) { return [results] }
  return try sweepDirectories(under: results)
}
