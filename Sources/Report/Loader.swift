// Builds a report's input from a sweep directory on disk: the sweep manifest, each cell's config
// and its gzip NDJSON step log (checked against the manifest's content hash).

import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Reads `sweepDirectory/manifest.json` (or a manifest path, `manifests/<key>.json` included)
/// and every finished cell's step log, each read once, on `logReadingThreads` threads;
/// `progress` gets (logs done, total). A cell whose step log file is absent is reported as
/// `missing`; a step log that is present but unreadable, or whose bytes do not match the
/// manifest's hash, is an error (the first in id order). Planned cells with no artifacts at all
/// are listed in `missingIDs` (their configs are not in the manifest).
public func loadReportInput(
  sweepDirectory: String, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
) throws(ReportError) -> ReportInput {
  let manifest: SweepManifest
  do {
    manifest = try SweepManifest.load(path: sweepDirectory)
  } catch {
    throw .artifacts(error)
  }
  let directory = Artifacts.sweepDirectory(ofManifestPath: sweepDirectory)
  let entries = manifest.cells.sorted(by: { $0.id < $1.id })
  let loaded = parallelMap(entries, progress: progress) { entry in
    Result { () throws(ReportError) in try loadCell(entry, sweepDirectory: directory) }
  }
  var cells: [ReportCell] = []
  let attempts = AttemptLedger.counts(in: SweepDirectory(directory))
  for result in loaded {
    var cell = try result.get()
    cell.attempts = CellID(hex: cell.id).flatMap { attempts[$0] } ?? 0
    cells.append(cell)
  }
  return ReportInput(sweepName: manifest.name, cells: cells, missingIDs: manifest.missing.sorted())
}

/// One cell of the report: its config, status and the series of its step log.
private func loadCell(_ entry: SweepManifest.Entry, sweepDirectory directory: String)
  throws(ReportError) -> ReportCell
{
  let config: TrainingConfig
  do {
    config = try Parameters.config(fromCanonical: entry.config)
  } catch {
    throw .badConfig(cell: entry.shortID, reason: "\(error)")
  }
  guard let id = CellID(hex: entry.id),
    case let path = SweepDirectory(directory).cellLog(id),
    FileManager.default.fileExists(atPath: path)
  else {
    return ReportCell(id: entry.id, config: config, status: .missing, series: CellSeries())
  }
  let bytes: [UInt8]
  do {
    bytes = try gunzip(contentsOf: path)
  } catch {
    throw .artifacts(error)
  }
  let hash = sha256Hex(bytes)
  guard hash == entry.contentSHA256 else {
    throw .contentMismatch(path: path, expected: entry.contentSHA256, found: hash)
  }
  let series = try parseStepLog(bytes, path: path)
  return ReportCell(id: entry.id, config: config, status: entry.status, series: series)
}
