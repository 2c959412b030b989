// The sweep manifest `manifest.json`: the spec's hash, one entry per finished cell (id, config,
// status, hashes, metrics) and the ids of planned cells that have no valid artifacts.

import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// The manifest of a sweep directory (see docs/FORMATS.md). Everything but `run` is a pure
/// function of the inputs, so merging the same cells twice gives the same bytes.
public struct SweepManifest: Sendable, Equatable {
  /// The value of the `schema` key.
  public static let schema = "segsweep.sweep/1"

  /// One finished cell, as the sweep manifest records it (no run section).
  public struct Entry: Sendable, Equatable {
    public var id: String
    public var config: JSONValue
    /// `ok` or `diverged`.
    public var status: CellStatus
    /// The cell's `ndjson_sha256`.
    public var contentSHA256: String
    public var gzipSHA256: String
    public var records: Int
    public var metrics: CellMetrics

    public init(
      id: String, config: JSONValue, status: CellStatus, contentSHA256: String, gzipSHA256: String,
      records: Int, metrics: CellMetrics
    ) {
      self.id = id
      self.config = config
      self.status = status
      self.contentSHA256 = contentSHA256
      self.gzipSHA256 = gzipSHA256
      self.records = records
      self.metrics = metrics
    }

    /// The entry of a cell manifest.
    public init(_ cell: CellManifest) {
      self.init(
        id: cell.id.hex, config: cell.config, status: cell.status, contentSHA256: cell.ndjsonSHA256,
        gzipSHA256: cell.gzipSHA256, records: cell.records, metrics: cell.metrics)
    }

    /// The first 12 hex digits of the id.
    public var shortID: String { shortHex(id) }

    /// The entry as it appears in `cells` of manifest.json.
    public var json: JSONValue {
      .object([
        "id": .string(id),
        "config": config,
        "status": .string(status.rawValue),
        "content_sha256": .string(contentSHA256),
        "gzip_sha256": .string(gzipSHA256),
        "records": JSONValue(int: records),
        "metrics": metrics.json,
      ])
    }

    init(json: JSONValue, file: String, context: String) throws(ArtifactsError) {
      let fields = try ManifestFields(json, file: file, context: context)
      id = try fields.string("id")
      config = try fields.object("config")
      status = try CellStatus(recorded: try fields.string("status"), file: file, context: context)
      contentSHA256 = try fields.string("content_sha256")
      gzipSHA256 = try fields.string("gzip_sha256")
      records = try fields.int("records")
      metrics = try CellMetrics(
        json: try fields.value("metrics"), file: file, context: "\(context).metrics")
    }
  }

  public var name: String
  /// The sweep file as given on the command line, and the SHA-256 of its bytes.
  public var specPath: String
  public var specSHA256: String
  public var coreVersion: String
  public var toolVersion: String
  /// Finished cells, sorted by id.
  public var cells: [Entry]
  /// Ids of planned cells with no valid artifacts, sorted.
  public var missing: [String]
  /// Run-time facts; ignored by diffs.
  public var run: JSONValue

  /// A manifest of `cells` (in any order; entries are sorted by id).
  public init(
    name: String, specPath: String, specSHA256: String, coreVersion: String = coreSemanticsVersion,
    toolVersion: String, cells: [CellManifest], missing: [String], run: JSONValue
  ) {
    self.name = name
    self.specPath = specPath
    self.specSHA256 = specSHA256
    self.coreVersion = coreVersion
    self.toolVersion = toolVersion
    self.cells = cells.map(Entry.init).sorted { $0.id < $1.id }
    self.missing = missing.sorted()
    self.run = run
  }

  /// The manifest as JSON; `prettyText` of this is manifest.json.
  public var json: JSONValue {
    .object([
      "schema": .string(SweepManifest.schema),
      "name": .string(name),
      "spec": .object(["path": .string(specPath), "sha256": .string(specSHA256)]),
      "core_version": .string(coreVersion),
      "tool_version": .string(toolVersion),
      "cells": .array(cells.map(\.json)),
      "missing": .array(missing.map(JSONValue.string)),
      "run": run,
    ])
  }

  /// Reads a sweep manifest from its JSON; `file` names it in errors.
  public init(json: JSONValue, file: String = "(sweep manifest)") throws(ArtifactsError) {
    let fields = try ManifestFields(json, file: file, context: "")
    try fields.expectSchema(SweepManifest.schema)
    name = try fields.string("name")
    let spec = try ManifestFields(try fields.object("spec"), file: file, context: "spec")
    specPath = try spec.string("path")
    specSHA256 = try spec.string("sha256")
    coreVersion = try fields.string("core_version")
    toolVersion = try fields.string("tool_version")
    var entries: [Entry] = []
    for (i, item) in try fields.array("cells").enumerated() {
      entries.append(try Entry(json: item, file: file, context: "cells[\(i)]"))
    }
    cells = entries
    var ids: [String] = []
    for item in try fields.array("missing") {
      guard let id = item.stringValue else {
        throw .badManifest(file: file, reason: "\"missing\": expected strings")
      }
      ids.append(id)
    }
    missing = ids
    run = fields.members["run"] ?? .object([:])
  }

  /// Reads `path`, which is a manifest.json or a sweep directory holding one.
  public static func load(path: String) throws(ArtifactsError) -> SweepManifest {
    var isDirectory: ObjCBool = false
    let file =
      FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        && isDirectory.boolValue ? SweepDirectory(path).sweepManifest : path
    return try SweepManifest(json: try loadJSON(file), file: file)
  }

  /// Writes `<directory>/manifest.json` atomically.
  public func write(to directory: String) throws(ArtifactsError) {
    try writeAtomically(Array(json.prettyText.utf8), to: SweepDirectory(directory).sweepManifest)
  }
}

/// The sweep as it was run, `resolved-sweep.json` (see docs/FORMATS.md): the sweep file's text,
/// its path and hash, the `--set` overrides and the grid limit. Re-expanding it gives the cells
/// the directory should hold, so `merge`, `status` and `verify` need no sweep file or `--set`.
public struct ResolvedSweep: Sendable, Equatable {
  /// The value of the `schema` key.
  public static let schema = "segsweep.resolved-sweep/1"
  /// The file's name inside a sweep directory.
  public static let fileName = "resolved-sweep.json"

  /// The sweep file as given on the command line, its text and the SHA-256 of its bytes.
  public var specPath: String
  public var specText: String
  public var specSHA256: String
  /// The `--set` overrides, in the order given.
  public var overrides: [String]
  /// The `--max-cells` limit the sweep was expanded with.
  public var maxCells: Int

  public init(
    specPath: String, specText: String, overrides: [String], maxCells: Int
  ) {
    self.specPath = specPath
    self.specText = specText
    self.specSHA256 = sha256Hex(Array(specText.utf8))
    self.overrides = overrides
    self.maxCells = maxCells
  }

  /// Reads the sweep file at `path` again for the record, checking that its bytes are the
  /// ones `sweepSHA256` was computed from (the file did not change since it was parsed).
  public static func capture(
    path: String, sweepSHA256: String, overrides: [String], maxCells: Int
  ) throws(ArtifactsError) -> ResolvedSweep {
    let bytes = try readFile(path)
    guard sha256Hex(bytes) == sweepSHA256 else {
      throw .io(file: path, operation: "record the sweep file", reason: "it changed while read")
    }
    return ResolvedSweep(
      specPath: path, specText: String(decoding: bytes, as: UTF8.self), overrides: overrides,
      maxCells: maxCells)
  }

  /// The record as JSON; `prettyText` of this is the file's contents.
  public var json: JSONValue {
    .object([
      "schema": .string(ResolvedSweep.schema),
      "spec": .object([
        "path": .string(specPath), "sha256": .string(specSHA256), "text": .string(specText),
      ]),
      "overrides": .array(overrides.map(JSONValue.string)),
      "max_cells": JSONValue(int: maxCells),
    ])
  }

  /// Reads a record from its JSON; `file` names it in errors.
  public init(json: JSONValue, file: String) throws(ArtifactsError) {
    let fields = try ManifestFields(json, file: file, context: "")
    try fields.expectSchema(ResolvedSweep.schema)
    let spec = try ManifestFields(try fields.object("spec"), file: file, context: "spec")
    specPath = try spec.string("path")
    specText = try spec.string("text")
    specSHA256 = try spec.string("sha256")
    guard sha256Hex(Array(specText.utf8)) == specSHA256 else {
      throw .badManifest(file: file, reason: "spec.text does not hash to spec.sha256")
    }
    var sets: [String] = []
    for item in try fields.array("overrides") {
      guard let text = item.stringValue else {
        throw .badManifest(file: file, reason: "\"overrides\": expected strings")
      }
      sets.append(text)
    }
    overrides = sets
    maxCells = try fields.int("max_cells")
  }

  /// The record in `sweepDirectory`, or nil when it has none (a directory from an older tool).
  public static func load(sweepDirectory: String) throws(ArtifactsError) -> ResolvedSweep? {
    let path = SweepDirectory(sweepDirectory).resolvedSweep
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return try ResolvedSweep(json: try loadJSON(path), file: path)
  }

  /// Writes `<sweepDirectory>/resolved-sweep.json` atomically.
  public func write(to sweepDirectory: String) throws(ArtifactsError) {
    try writeAtomically(
      Array(json.prettyText.utf8), to: SweepDirectory(sweepDirectory).resolvedSweep)
  }

  /// The sweep expanded again from the recorded text and overrides.
  public func expand() throws(SweepSpecError) -> Sweep {
    try Sweep.parse(text: specText, path: specPath, overrides: overrides, maxCells: maxCells)
  }

  /// The command that runs this sweep into `resultsRoot`, for messages.
  public func runCommand(resultsRoot: String, shard: String? = nil) -> String {
    var words = ["sweep", "run", specPath, "--results", resultsRoot]
    if let shard { words += ["--shard", shard] }
    for text in overrides { words += ["--set", text] }
    if maxCells != 100_000 { words += ["--max-cells", String(maxCells)] }
    return words.map(shellWord).joined(separator: " ")
  }
}

/// Quotes a word for a POSIX shell when it needs it.
public func shellWord(_ word: String) -> String {
  let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
  if !word.isEmpty && word.allSatisfy({ safe.contains($0) }) { return word }
  return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
