// Builds a report's input from a sweep directory on disk: the sweep manifest, each cell's config
// and its gzip NDJSON step log (checked against the manifest's content hash).

import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Reads `sweepDirectory/manifest.json` (or a manifest path) and every finished cell's step log.
/// A cell whose step log file is absent is reported as `missing`; a step log that is present
/// but unreadable, or whose bytes do not match the manifest's hash, is an error. Planned cells
/// with no artifacts at all are listed in `missingIDs` (their configs are not in the manifest).
public func loadReportInput(sweepDirectory: String) throws(ReportError) -> ReportInput {
  let manifest: SweepManifest
  do {
    manifest = try SweepManifest.load(path: sweepDirectory)
  } catch {
    throw .artifacts(error.description)
  }
  var isDirectory: ObjCBool = false
  let directory =
    FileManager.default.fileExists(atPath: sweepDirectory, isDirectory: &isDirectory)
      && isDirectory.boolValue ? sweepDirectory : parentDirectory(sweepDirectory)
  var cells: [ReportCell] = []
  for entry in manifest.cells.sorted(by: { $0.id < $1.id }) {
    let config: TrainingConfig
    do {
      config = try Parameters.config(fromCanonical: entry.config)
    } catch {
      throw .badConfig(cell: entry.shortID, reason: "\(error)")
    }
    let path = cellLogPath(sweepDirectory: directory, hex: entry.id)
    guard FileManager.default.fileExists(atPath: path) else {
      cells.append(
        ReportCell(id: entry.id, config: config, status: "missing", series: CellSeries()))
      continue
    }
    let bytes: [UInt8]
    do {
      bytes = try gunzip(contentsOf: path)
    } catch {
      throw .artifacts(error.description)
    }
    let hash = sha256Hex(bytes)
    guard hash == entry.contentSHA256 else {
      throw .contentMismatch(path: path, expected: entry.contentSHA256, found: hash)
    }
    let series = try parseStepLog(bytes, path: path)
    cells.append(ReportCell(id: entry.id, config: config, status: entry.status, series: series))
  }
  return ReportInput(sweepName: manifest.name, cells: cells, missingIDs: manifest.missing.sorted())
}

/// The directory part of `path` ("." when there is none).
private func parentDirectory(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}
