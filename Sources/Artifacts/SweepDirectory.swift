// The layout of one sweep's results directory, in one table: every module asks this value for
// the path of a cell, a lock, a marker or a manifest instead of building it (docs/FORMATS.md).

import SweepSpec

/// One sweep's results directory, `<results root>/<sweep name>/`, and the place of everything in
/// it. The layout is:
///
/// ```
/// <path>/
///   cells/<id>.ndjson.gz        step log of a cell          cellLog(_:)
///   cells/<id>.json             its manifest (commit point) cellManifest(_:)
///   cells/<id>.failed           why its last attempt failed failureMarker(_:)
///   attempts/<id>.ndjson        every attempt at a cell     attemptLedger(_:)
///   claims/<id>                 a `run --dynamic` claim     claim(_:)
///   .lock                       lock of an unsharded run    lockDirectory(shard:) = path
///   .locks/shard-i-of-N/.lock   lock of one shard           lockDirectory(shard:)
///   manifest.json, summary.md, summary.csv                  sweepManifest, summary…
///   manifests/<key>.json (+ .summary.md, .summary.csv)      specManifest(key:)
///   resolved-sweep.json         the sweep as it was run     resolvedSweep
///   report/[<key>/]             `sweep report` output       report(key:)
///   slurm/*.sbatch, slurm/logs/ `sweep slurm` scripts, logs slurm, slurmLogs
/// ```
///
/// Adding an entry means adding one property here and documenting it in docs/FORMATS.md.
public struct SweepDirectory: Sendable, Hashable, CustomStringConvertible {
  /// The directory itself, as given (no trailing slash is added or removed).
  public let path: String

  public init(_ path: String) { self.path = path }

  /// The directory of sweep `name` under a results root.
  public init(resultsRoot: String, sweepName: String) { self.path = "\(resultsRoot)/\(sweepName)" }

  public var description: String { path }

  // MARK: Cells

  /// Every cell's files live here, named by the cell's id.
  public var cells: String { "\(path)/cells" }
  /// A cell's gzip NDJSON step log.
  public func cellLog(_ id: CellID) -> String { "\(cells)/\(id.hex).ndjson.gz" }
  /// A cell's manifest, written last: the cell is done when it exists and holds.
  public func cellManifest(_ id: CellID) -> String { "\(cells)/\(id.hex).json" }
  /// The message of a cell's last failed attempt, removed when the cell succeeds.
  public func failureMarker(_ id: CellID) -> String { "\(cells)/\(id.hex).failed" }
  /// The temporary name a process (`owner` is `pid@host`) streams a cell's step log into.
  public func temporaryCellLog(_ id: CellID, owner: String) -> String {
    "\(cellLog(id)).\(owner).tmp"
  }

  /// The id a file name under `cells/` belongs to when it is a cell manifest (`<id>.json`).
  public static func manifestID(fileName name: String) -> CellID? {
    guard name.hasSuffix(".json"), name.utf8.count == 69 else { return nil }
    return CellID(hex: String(name.prefix(64)))
  }

  // MARK: Attempts and claims

  /// The failure ledger: one file per cell, one JSON line per attempt at it.
  public var attempts: String { "\(path)/attempts" }
  /// The attempts at one cell.
  public func attemptLedger(_ id: CellID) -> String { "\(attempts)/\(id.hex).ndjson" }
  /// The id a file name under `attempts/` belongs to (`<id>.ndjson`).
  public static func attemptLedgerID(fileName name: String) -> CellID? {
    guard name.hasSuffix(".ndjson"), name.utf8.count == 71 else { return nil }
    return CellID(hex: String(name.prefix(64)))
  }
  /// The claims of `sweep run --dynamic`: one file per cell being run.
  public var claims: String { "\(path)/claims" }
  /// The claim of one cell (a lease: its holder touches it while the cell runs).
  public func claim(_ id: CellID) -> String { "\(claims)/\(id.hex)" }

  // MARK: Locks

  /// Per-shard lock directories, so array tasks of one sweep never block each other.
  public var shardLocks: String { "\(path)/.locks" }
  /// The directory whose `.lock` a run takes: the sweep directory, or its shard's under
  /// `.locks/` (`shard` is (index, count), 0-based).
  public func lockDirectory(shard: (index: Int, count: Int)?) -> String {
    guard let shard else { return path }
    return "\(shardLocks)/shard-\(shard.index)-of-\(shard.count)"
  }
  /// The lock file inside a lock directory.
  public static func lockFile(in directory: String) -> String { "\(directory)/.lock" }

  // MARK: Sweep-level files

  /// The latest spec's sweep manifest.
  public var sweepManifest: String { "\(path)/manifest.json" }
  /// The latest spec's summary, as Markdown and CSV.
  public var summaryMarkdown: String { "\(path)/summary.md" }
  public var summaryCSV: String { "\(path)/summary.csv" }
  /// One manifest and summary per resolved spec.
  public var specManifests: String { "\(path)/manifests" }
  /// The spec `key`'s manifest; its summaries share the name with `.summary.md`/`.summary.csv`
  /// for `.json`.
  public func specManifest(key: String) -> String { "\(specManifests)/\(key).json" }
  public func specSummaryMarkdown(key: String) -> String {
    "\(specManifests)/\(key).summary.md"
  }
  public func specSummaryCSV(key: String) -> String { "\(specManifests)/\(key).summary.csv" }
  /// The sweep file's text and overrides as the directory was run (`ResolvedSweep`).
  public var resolvedSweep: String { "\(path)/resolved-sweep.json" }

  // MARK: Outputs of other commands

  /// Where `sweep report` writes: `report/`, or `report/<key>/` for one spec.
  public func report(key: String?) -> String { "\(path)/report" + (key.map { "/\($0)" } ?? "") }
  /// Where `sweep slurm` writes its scripts, and where the jobs write their logs.
  public var slurm: String { "\(path)/slurm" }
  public var slurmLogs: String { "\(slurm)/logs" }
  public var slurmArrayScript: String { "\(slurm)/array.sbatch" }
  public var slurmMergeScript: String { "\(slurm)/merge.sbatch" }
}
