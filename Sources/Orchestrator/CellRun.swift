// Runs one cell with the training core and streams its records into the cell's artifacts.
// This is what a worker process does for each cell it is given.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// The tool's version, recorded in manifests' run sections.
public let toolVersion = "0.1.0"

/// A cell to run: its id, resolved config and canonical config (as recorded in manifests).
struct CellJob: Sendable {
  var id: CellID
  var config: TrainingConfig
  var canonicalConfig: JSONValue

  init(id: CellID, config: TrainingConfig, canonicalConfig: JSONValue) {
    self.id = id
    self.config = config
    self.canonicalConfig = canonicalConfig
  }

  /// The job of a planned cell.
  init(_ cell: Cell) {
    self.init(id: cell.id, config: cell.config, canonicalConfig: cell.canonicalConfig)
  }

  /// The job of cell `id` with config `canonicalConfig`, which must be that id's config
  /// (`CellID.config(verifying:)`): a worker never trains a cell under another cell's name.
  init(id: CellID, verifying canonicalConfig: JSONValue) throws(SweepSpecError) {
    self.init(
      id: id, config: try id.config(verifying: canonicalConfig), canonicalConfig: canonicalConfig)
  }
}

/// Trains `job` and writes its step log and manifest into `directory`.
/// `progress` is called with each logged step. Nothing is left half-written: on any error the
/// temporary step log is removed and the error is rethrown.
func runCell(
  _ job: CellJob, in directory: SweepDirectory, progress: (Int) -> Void = { _ in }
) throws -> CellManifest {
  let writer = try CellWriter(
    directory: directory, id: job.id, canonicalConfig: job.canonicalConfig, config: job.config)
  do {
    let timer = RunTimer()
    let outcome = try Trainer(config: job.config).run { record in
      try writer.append(record)
      progress(record.step)
    }
    return try commit(job, writer, outcome: outcome, run: timer.runSection(outcome), in: directory)
  } catch {
    writer.abandon()
    throw error
  }
}

/// Writes records already computed for `job` (by `sweep rerun --replace`) as the cell's
/// artifacts, exactly as `runCell` would have streamed them.
func writeCell(
  _ job: CellJob, records: [StepRecord], outcome: RunOutcome, run: JSONValue,
  in directory: SweepDirectory
) throws -> CellManifest {
  let writer = try CellWriter(
    directory: directory, id: job.id, canonicalConfig: job.canonicalConfig, config: job.config)
  do {
    for record in records { try writer.append(record) }
    return try commit(job, writer, outcome: outcome, run: run, in: directory)
  } catch {
    writer.abandon()
    throw error
  }
}

/// Finishes `writer` (the manifest is the commit point) and clears the cell's failure marker.
private func commit(
  _ job: CellJob, _ writer: CellWriter, outcome: RunOutcome, run: JSONValue,
  in directory: SweepDirectory
) throws -> CellManifest {
  let manifest = try writer.finish(status: outcome.status, stepsRun: outcome.stepsRun, run: run)
  FailureMarker.clear(job.id, in: directory)
  return manifest
}

/// Times one training run for the run section of its manifest.
struct RunTimer {
  private let started = Date()
  private let clock = ContinuousClock()
  private let start: ContinuousClock.Instant

  init() { start = clock.now }

  /// The manifest's run section: host, start, wall time, speed and tool version.
  func runSection(_ outcome: RunOutcome) -> JSONValue {
    let wall = seconds(clock.now - start)
    return .object([
      "host": .string(hostName()),
      "started": .string(iso8601(started)),
      "wall_seconds": JSONValue(double: (wall * 1000).rounded() / 1000),
      "steps_per_second": JSONValue(
        double: wall > 0 ? (Double(outcome.stepsRun) / wall).rounded() : 0),
      "tool_version": .string(toolVersion),
      "envelope": RunEnvelope.current.json,
    ])
  }
}

/// The machine's host name, for run sections.
func hostName() -> String {
  ProcessInfo.processInfo.hostName
}

/// A UTC timestamp like 2026-11-29T04:00:00Z.
func iso8601(_ date: Date) -> String {
  let formatter = ISO8601DateFormatter()
  formatter.timeZone = TimeZone(identifier: "UTC")
  return formatter.string(from: date)
}

/// A small file `cells/<id>.failed` that records why the last attempt at a cell failed, so that
/// `sweep status` can tell failed cells from ones never tried. Removed when the cell succeeds.
public enum FailureMarker {
  /// Records the failure message of a cell (best effort: the run's result does not depend on it).
  public static func write(_ id: CellID, in directory: SweepDirectory, message: String) {
    try? writeAtomically(Array((message + "\n").utf8), to: directory.failureMarker(id))
  }

  public static func clear(_ id: CellID, in directory: SweepDirectory) {
    _ = unlink(directory.failureMarker(id))
  }

  /// The recorded failure message, if the last attempt failed.
  public static func message(_ id: CellID, in directory: SweepDirectory) -> String? {
    guard let data = FileManager.default.contents(atPath: directory.failureMarker(id)) else {
      return nil
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
