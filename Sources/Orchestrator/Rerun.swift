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
  public var comparison: RecordComparison
  public var storedContentSHA256: String
  public var newContentSHA256: String
}

/// Recomputes the cell `hex` of `sweepDirectory` from the config in its manifest, in memory, and
/// compares the records with the stored step log. With `replace`, writes the recomputed
/// artifacts over the stored ones (atomically); otherwise never touches them.
public func rerunCell(hex: String, sweepDirectory: String, replace: Bool) throws -> RerunOutcome {
  let manifest = try CellManifest.load(path: "\(sweepDirectory)/cells/\(hex).json")
  let config = try Parameters.config(fromCanonical: manifest.config)
  var ndjson: [UInt8] = []
  _ = Trainer(config: config).run { record in
    ndjson.append(contentsOf: ndjsonLine(record, track: config.track).utf8)
  }
  let stored = (try? gunzip(contentsOf: "\(sweepDirectory)/cells/\(hex).ndjson.gz")) ?? []
  let comparison = compareRecordStreams(stored: stored, recomputed: ndjson)
  if replace {
    _ = try runCell(
      CellJob(hex: hex, config: config, canonicalConfig: manifest.config),
      sweepDirectory: sweepDirectory)
  }
  return RerunOutcome(
    comparison: comparison, storedContentSHA256: manifest.ndjsonSHA256,
    newContentSHA256: sha256Hex(ndjson))
}
