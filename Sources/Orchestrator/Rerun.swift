// `sweep rerun`: find a cell by id or prefix across result directories, recompute it from the
// config in its manifest, and compare the new step records with the stored ones.
import Artifacts
import Foundation
import SweepSpec
import TrainingCore

/// Sweep directories under a results root: the folders holding a cells/ folder.
public func sweepDirectories(under root: String) throws -> [String] {
  let fm = FileManager.default
  guard let names = try? fm.contentsOfDirectory(atPath: root) else {
    throw OrchestratorError.notASweepDirectory(root)
  }
  return names.sorted().map { "\(root)/\($0)" }.filter {
    fm.fileExists(atPath: "\($0)/cells")
  }
}

/// Finds the cell with id or unique prefix `prefix` among the cell manifests in `directories`.
public func locateCell(_ prefix: String, in directories: [String]) throws -> (
  directory: String, hex: String
) {
  var owners: [String: String] = [:]
  for directory in directories {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/cells")) ?? []
    for name in names where name.hasSuffix(".json") && name.count == 69 {
      owners[String(name.prefix(64)), default: directory] = directory
    }
  }
  let ids = owners.keys.sorted().compactMap { CellID(hex: $0) }
  let id = try resolveCell(prefix, among: ids)
  guard let directory = owners[id.hex] else { throw OrchestratorError.notASweepDirectory(prefix) }
  return (directory, id.hex)
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

/// Recomputes the cell `hex` of `sweepDirectory` from the config in its manifest, in memory, and
/// compares the records with the stored step log and with the manifest's claims. With
/// `replace`, writes the recomputed artifacts over the stored ones (atomically); otherwise
/// never touches them.
public func rerunCell(hex: String, sweepDirectory: String, replace: Bool) throws -> RerunOutcome {
  let manifestPath = "\(sweepDirectory)/cells/\(hex).json"
  let manifest = try CellManifest.load(path: manifestPath)
  let config = try Parameters.config(fromCanonical: manifest.config)
  var ndjson: [UInt8] = []
  _ = Trainer(config: config).run { record in
    ndjson.append(contentsOf: ndjsonLine(record, track: config.track).utf8)
  }
  let logPath = "\(sweepDirectory)/cells/\(hex).ndjson.gz"
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
    _ = try runCell(
      CellJob(hex: hex, config: config, canonicalConfig: manifest.config),
      sweepDirectory: sweepDirectory)
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
  if FileManager.default.fileExists(atPath: "\(results)/cells") { return [results] }
  return try sweepDirectories(under: results)
}
