// Runs one cell with the training core and streams its records into the cell's artifacts.
// This is what a worker process does for each cell it is given.
import Artifacts
import CanonicalJSON
import Foundation
import TrainingCore

/// The tool's version, recorded in manifests' run sections.
public let toolVersion = "0.1.0"

/// A cell to run: its id, resolved config and canonical config (as recorded in manifests).
public struct CellJob: Sendable {
  public var hex: String
  public var config: TrainingConfig
  public var canonicalConfig: JSONValue

  public init(hex: String, config: TrainingConfig, canonicalConfig: JSONValue) {
    self.hex = hex
    self.config = config
    self.canonicalConfig = canonicalConfig
  }
}

/// Trains `job` and writes `cells/<id>.ndjson.gz` and `cells/<id>.json` under `sweepDirectory`.
/// `progress` is called with each logged step. Nothing is left half-written: on any error the
/// temporary step log is removed and the error is rethrown.
public func runCell(
  _ job: CellJob, sweepDirectory: String, progress: (Int) -> Void = { _ in }
) throws -> CellManifest {
  let writer = try CellWriter(
    sweepDirectory: sweepDirectory, hex: job.hex, canonicalConfig: job.canonicalConfig,
    config: job.config)
  let started = Date()
  let clock = ContinuousClock()
  let start = clock.now
  do {
    let outcome = try Trainer(config: job.config).run { record in
      try writer.append(record)
      progress(record.step)
    }
    let elapsed = clock.now - start
    let wall = seconds(elapsed)
    let run: JSONValue = .object([
      "host": .string(hostName()),
      "started": .string(iso8601(started)),
      "wall_seconds": JSONValue(double: (wall * 1000).rounded() / 1000),
      "steps_per_second": JSONValue(
        double: wall > 0 ? (Double(outcome.stepsRun) / wall).rounded() : 0),
      "tool_version": .string(toolVersion),
      "envelope": RunEnvelope.current.json,
    ])
    let manifest = try writer.finish(status: outcome.status, stepsRun: outcome.stepsRun, run: run)
    FailureMarker.clear(sweepDirectory: sweepDirectory, hex: job.hex)
    return manifest
  } catch {
    writer.abandon()
    throw error
  }
}

/// The machine's host name, for run sections.
public func hostName() -> String {
  ProcessInfo.processInfo.hostName
}

/// A UTC timestamp like 2026-11-29T04:00:00Z.
public func iso8601(_ date: Date) -> String {
  let formatter = ISO8601DateFormatter()
  formatter.timeZone = TimeZone(identifier: "UTC")
  return formatter.string(from: date)
}

/// A small file `cells/<id>.failed` that records why the last attempt at a cell failed, so that
/// `sweep status` can tell failed cells from ones never tried. Removed when the cell succeeds.
public enum FailureMarker {
  static func path(_ sweepDirectory: String, _ hex: String) -> String {
    "\(sweepDirectory)/cells/\(hex).failed"
  }

  /// Records the failure message of a cell (best effort: the run's result does not depend on it).
  public static func write(sweepDirectory: String, hex: String, message: String) {
    try? writeAtomically(Array((message + "\n").utf8), to: path(sweepDirectory, hex))
  }

  public static func clear(sweepDirectory: String, hex: String) {
    _ = unlink(path(sweepDirectory, hex))
  }

  /// The recorded failure message, if the last attempt failed.
  public static func message(sweepDirectory: String, hex: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path(sweepDirectory, hex)) else {
      return nil
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
