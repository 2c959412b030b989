// `sweep verify`: checks every cell's files against its manifest (sizes, hashes, gzip integrity,
// record count, status, metrics), each manifest's claims about itself, the sweep manifest against
// the cell manifests, and the directory against the sweep it records.

import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// One inconsistency found by `verifySweep`, naming the file it is in.
public struct VerifyProblem: Sendable, Equatable, CustomStringConvertible {
  /// What kind of inconsistency this is.
  public enum Kind: String, Sendable, Equatable {
    case unreadableManifest = "unreadable manifest"
    case missingLog = "missing step log"
    case orphanLog = "step log without manifest"
    case gzipMismatch = "gzip hash mismatch"
    case corruptLog = "corrupt step log"
    case contentMismatch = "content hash mismatch"
    case recordCountMismatch = "record count mismatch"
    case metricsMismatch = "metrics mismatch"
    case missingSweepManifest = "missing sweep manifest"
    case entryWithoutFiles = "entry without cell files"
    case cellWithoutEntry = "cell without entry"
    case entryMismatch = "entry differs from cell manifest"
    case inconsistentManifest = "manifest contradicts itself"
    case statusMismatch = "status differs from the step log"
    case missingCell = "cell of the sweep not done"
    case entryNotInSweep = "entry not in the sweep"
    case otherSweep = "manifest of another sweep"
  }

  public var kind: Kind
  /// The file the problem is in.
  public var file: String
  public var message: String

  public init(kind: Kind, file: String, message: String) {
    self.kind = kind
    self.file = file
    self.message = message
  }

  public var description: String { "\(file): \(kind.rawValue): \(message)" }
}

/// Checks a sweep directory: every `cells/<id>.json` against its step log (presence, size and
/// SHA-256 of the .gz, gzip CRC and length, content hash, record count, metrics recomputed from
/// the records), and `manifest.json` against the cell manifests. Temporary files (`*.tmp`) and
/// failure markers are ignored. Returns no problems for a consistent directory.
public func verifySweep(
  directory: String, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil
) -> [VerifyProblem] {
  var problems: [VerifyProblem] = []
  let layout = SweepDirectory(directory)
  let cellsDirectory = layout.cells
  let names = ((try? FileManager.default.contentsOfDirectory(atPath: cellsDirectory)) ?? [])
    .filter { !$0.hasSuffix(".tmp") }.sorted()
  let manifestIDs = Set(names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
  var cells: [String: CellManifest] = [:]
  var resolvedIDs: Set<String>?

  // Each file is checked on its own, two at a time; the problems keep the order of the names.
  let checked = parallelMap(names, progress: progress) { name in
    checkCellFile(name, cellsDirectory: cellsDirectory, manifestIDs: manifestIDs)
  }
  for result in checked {
    problems += result.problems
    if let manifest = result.manifest { cells[manifest.id.hex] = manifest }
  }
  problems += completenessProblems(
    directory: directory, present: manifestIDs, resolvedSweepIDs: &resolvedIDs)

  let sweepPath = layout.sweepManifest
  guard FileManager.default.fileExists(atPath: sweepPath) else {
    problems.append(
      VerifyProblem(kind: .missingSweepManifest, file: sweepPath, message: "run `sweep merge`"))
    return problems
  }
  let sweep: SweepManifest
  do {
    sweep = try SweepManifest.load(path: sweepPath)
  } catch {
    problems.append(
      VerifyProblem(kind: .unreadableManifest, file: error.file, message: error.reason))
    return problems
  }
  var listed = Set<String>()
  if resolvedIDs == nil {
    for hex in sweep.missing where !manifestIDs.contains(hex) {
      problems.append(
        VerifyProblem(
          kind: .missingCell, file: sweepPath,
          message: "cell \(shortHex(hex)) is listed as missing; `sweep run` computes it"))
    }
  }
  for entry in sweep.cells {
    listed.insert(entry.id)
    if let resolvedIDs, !resolvedIDs.contains(entry.id) {
      problems.append(
        VerifyProblem(
          kind: .entryNotInSweep, file: sweepPath,
          message: "cell \(entry.shortID) is not a cell of \(ResolvedSweep.fileName)'s sweep"))
    }
    guard manifestIDs.contains(entry.id) else {
      problems.append(
        VerifyProblem(
          kind: .entryWithoutFiles, file: sweepPath,
          message: "cell \(entry.shortID) has no cells/\(entry.id).json"))
      continue
    }
    guard let cell = cells[entry.id] else { continue }  // unreadable: reported above
    let differences = entryDifferences(entry, SweepManifest.Entry(cell))
    if !differences.isEmpty {
      problems.append(
        VerifyProblem(
          kind: .entryMismatch, file: sweepPath,
          message: "cell \(entry.shortID): " + differences.joined(separator: "; ")))
    }
  }
  let missing = Set(sweep.missing)
  let specs = verifySpecManifests(
    directory: directory, latest: sweep, cells: cells, cellFiles: manifestIDs)
  problems += specs.problems
  for hex in cells.keys.sorted()
  where !listed.contains(hex) && (missing.contains(hex) || !specs.listed.contains(hex)) {
    let why =
      missing.contains(hex)
      ? "listed as missing in manifest.json; run `sweep merge`" : "not in manifest.json"
    problems.append(
      VerifyProblem(kind: .cellWithoutEntry, file: "\(cellsDirectory)/\(hex).json", message: why))
  }
  return problems
}

/// The cells of the recorded sweep (`resolved-sweep.json`, expanded again) that have no cell
/// manifest in `present`; sets `resolvedSweepIDs` to the sweep's ids when there is a record.
func completenessProblems(
  directory: String, present: Set<String>, resolvedSweepIDs: inout Set<String>?
) -> [VerifyProblem] {
  let recordPath = "\(directory)/\(ResolvedSweep.fileName)"
  let sweep: Sweep
  do {
    guard let record = try ResolvedSweep.load(sweepDirectory: directory) else { return [] }
    do {
      sweep = try record.expand()
    } catch {
      return [
        VerifyProblem(
          kind: .unreadableManifest, file: recordPath,
          message: "the recorded sweep no longer expands: \(error.message)")
      ]
    }
  } catch {
    return [VerifyProblem(kind: .unreadableManifest, file: error.file, message: error.reason)]
  }
  resolvedSweepIDs = Set(sweep.cells.map(\.id.hex))
  var problems: [VerifyProblem] = []
  let missing = sweep.cells.filter { !present.contains($0.id.hex) }
  for cell in missing {
    problems.append(
      VerifyProblem(
        kind: .missingCell, file: SweepDirectory(directory).cellManifest(cell.id),
        message: "cell \(cell.id.short) of sweep \(sweep.name) has no manifest; "
          + "`sweep run` computes it"))
  }
  if let manifest = try? SweepManifest.load(path: SweepDirectory(directory).sweepManifest),
    manifest.specSHA256 != sweep.specSHA256 || manifest.name != sweep.name
  {
    problems.append(
      VerifyProblem(
        kind: .otherSweep, file: SweepDirectory(directory).sweepManifest,
        message: "it was assembled from another sweep file than \(ResolvedSweep.fileName) "
          + "records; run `sweep merge \(directory)`"))
  }
  return problems
}

/// The problems of one file of `cells/`, and its manifest when it is a readable cell manifest.
private func checkCellFile(_ name: String, cellsDirectory: String, manifestIDs: Set<String>)
  -> (problems: [VerifyProblem], manifest: CellManifest?)
{
  if name.hasSuffix(".ndjson.gz") {
    let hex = String(name.dropLast(10))
    guard !manifestIDs.contains(hex) else { return ([], nil) }
    return (
      [
        VerifyProblem(
          kind: .orphanLog, file: "\(cellsDirectory)/\(name)",
          message: "no cells/\(hex).json; an interrupted run, `sweep run` redoes it")
      ], nil
    )
  }
  guard name.hasSuffix(".json") else { return ([], nil) }
  let hex = String(name.dropLast(5))
  let path = "\(cellsDirectory)/\(name)"
  let manifest: CellManifest
  do {
    manifest = try CellManifest.load(path: path)
  } catch {
    return (
      [VerifyProblem(kind: .unreadableManifest, file: error.file, message: error.reason)], nil
    )
  }
  if manifest.id.hex != hex {
    return (
      [
        VerifyProblem(
          kind: .unreadableManifest, file: path,
          message: "records id \(manifest.id.hex), but the file is named for \(hex)")
      ], nil
    )
  }
  let claims = manifest.claimProblems.map {
    VerifyProblem(kind: .inconsistentManifest, file: path, message: $0)
  }
  return (claims + verifyCell(manifest, logPath: "\(cellsDirectory)/\(hex).ndjson.gz"), manifest)
}

/// Checks one cell manifest against its step log, reading the file once.
func verifyCell(_ manifest: CellManifest, logPath: String) -> [VerifyProblem] {
  guard FileManager.default.fileExists(atPath: logPath) else {
    return [VerifyProblem(kind: .missingLog, file: logPath, message: "the file does not exist")]
  }
  var problems: [VerifyProblem] = []
  let stored: [UInt8]
  do {
    stored = try readFile(logPath)
  } catch {
    return [VerifyProblem(kind: .corruptLog, file: error.file, message: error.reason)]
  }
  let digest = sha256Hex(stored)
  if stored.count != manifest.gzipBytes || digest != manifest.gzipSHA256 {
    problems.append(
      VerifyProblem(
        kind: .gzipMismatch, file: logPath,
        message:
          "\(stored.count) bytes with sha256 \(shortHex(digest)), manifest records "
          + "\(manifest.gzipBytes) bytes with sha256 \(shortHex(manifest.gzipSHA256))"))
  }
  let ndjson: [UInt8]
  do {
    ndjson = try gunzip(stored, file: logPath)
  } catch {
    problems.append(VerifyProblem(kind: .corruptLog, file: error.file, message: error.reason))
    return problems
  }
  return problems + recordProblems(manifest, ndjson: ndjson, logPath: logPath)
}

/// Checks what a cell manifest claims about its records against the NDJSON bytes `ndjson`
/// (stored at, or recomputed for, `logPath`): content hash, record count, status and steps, and
/// the metrics re-derived from the lines.
public func recordProblems(_ manifest: CellManifest, ndjson: [UInt8], logPath: String)
  -> [VerifyProblem]
{
  var problems: [VerifyProblem] = []
  let content = sha256Hex(ndjson)
  if content != manifest.ndjsonSHA256 {
    problems.append(
      VerifyProblem(
        kind: .contentMismatch, file: logPath,
        message:
          "records hash to \(shortHex(content)), manifest records "
          + "\(shortHex(manifest.ndjsonSHA256))"))
  }
  let lines = StepLogCodec.lines(ofNDJSON: ndjson)
  let count = lines.last?.isEmpty == true ? lines.count - 1 : lines.count
  if count != manifest.records {
    problems.append(
      VerifyProblem(
        kind: .recordCountMismatch, file: logPath,
        message: "\(count) records, manifest records \(manifest.records)"))
  }
  if let problem = statusProblem(manifest, lines: lines) {
    problems.append(
      VerifyProblem(
        kind: .statusMismatch,
        file: logPath.replacingOccurrences(of: ".ndjson.gz", with: ".json"), message: problem))
  }
  if let metrics = StepLogCodec.metrics(ofLines: lines) {
    let differences = metricDifferences(manifest.metrics, metrics, tolerance: 0)
    if !differences.isEmpty {
      let text = differences.map { "\($0.field) manifest \($0.a.text), records \($0.b.text)" }
      problems.append(
        VerifyProblem(
          kind: .metricsMismatch,
          file: logPath.replacingOccurrences(of: ".ndjson.gz", with: ".json"),
          message: text.joined(separator: "; ")))
    }
  }
  return problems
}

/// Why the manifest's status and steps disagree with what the step log shows, or nil.
func statusProblem(_ manifest: CellManifest, lines: [ArraySlice<UInt8>]) -> String? {
  guard let derived = StepLogCodec.runStatus(ofLines: lines),
    let last = StepLogCodec.lastStep(ofLines: lines)
  else { return nil }
  let claimed =
    "status \(manifest.status)" + (manifest.divergedStep.map { " at step \($0)" } ?? "")
    + ", steps_run \(manifest.stepsRun)"
  switch (derived, manifest.runStatus) {
  case (.diverged(let step), .diverged(let claimedStep)) where step == claimedStep:
    return nil
  case (.diverged(let step), _):
    return "\(claimed), but the records diverge at step \(step)"
  case (.ok, .ok):
    return last == manifest.stepsRun - 1
      ? nil : "\(claimed), but the records end at step \(last)"
  case (.ok, .diverged(let claimedStep)):
    // A divergence shows in the log unless only an untracked training gradient overflowed.
    let config = try? Parameters.config(fromCanonical: manifest.config)
    let visible = config.map { $0.track.contains($0.loss) } ?? true
    return last != claimedStep || visible
      ? "\(claimed), but the records end at step \(last) with finite values" : nil
  }
}

/// Which fields of a sweep-manifest entry differ from the entry of its cell manifest.
func entryDifferences(_ listed: SweepManifest.Entry, _ actual: SweepManifest.Entry) -> [String] {
  var out: [String] = []
  if listed.config != actual.config { out.append("config differs") }
  if listed.status != actual.status {
    out.append("status \(listed.status), cell manifest \(actual.status)")
  }
  if listed.contentSHA256 != actual.contentSHA256 {
    out.append(
      "content_sha256 \(shortHex(listed.contentSHA256)), cell manifest "
        + "\(shortHex(actual.contentSHA256))")
  }
  if listed.gzipSHA256 != actual.gzipSHA256 {
    out.append(
      "gzip_sha256 \(shortHex(listed.gzipSHA256)), cell manifest \(shortHex(actual.gzipSHA256))")
  }
  if listed.records != actual.records {
    out.append("records \(listed.records), cell manifest \(actual.records)")
  }
  for d in metricDifferences(listed.metrics, actual.metrics, tolerance: 0) {
    out.append("\(d.field) \(d.a.text), cell manifest \(d.b.text)")
  }
  return out
}

/// A metric value in a comparison: a number or absent (`null`).
struct MetricValue: Equatable {
  var value: Double?
  var text: String { value.map(JSONValue.numberText) ?? "null" }
}

/// The metrics that differ by more than `tolerance` (absolute); a number against null always
/// differs. With `allFields`, the steps and gradient norms are compared too.
func metricDifferences(
  _ a: CellMetrics, _ b: CellMetrics, tolerance: Double, allFields: Bool = true
) -> [(field: String, a: MetricValue, b: MetricValue)] {
  var pairs: [(String, Double?, Double?)] = [
    ("final_accuracy", a.finalAccuracy, b.finalAccuracy),
    ("best_accuracy", a.bestAccuracy, b.bestAccuracy),
  ]
  if allFields {
    pairs.append(
      (
        "final_accuracy_step", a.finalAccuracyStep.map(Double.init),
        b.finalAccuracyStep.map(Double.init)
      ))
    pairs.append(
      (
        "best_accuracy_step", a.bestAccuracyStep.map(Double.init),
        b.bestAccuracyStep.map(Double.init)
      ))
  }
  func members(_ name: String, _ x: [String: Double?], _ y: [String: Double?]) {
    let keys = Set(x.keys).union(y.keys).sorted {
      (Loss(rawValue: $0)?.index ?? Int.max, $0) < (Loss(rawValue: $1)?.index ?? Int.max, $1)
    }
    for key in keys { pairs.append(("\(name).\(key)", x[key] ?? nil, y[key] ?? nil)) }
  }
  members("final_losses", a.finalLosses, b.finalLosses)
  if allFields { members("final_grad_norms", a.finalGradNorms, b.finalGradNorms) }
  var out: [(field: String, a: MetricValue, b: MetricValue)] = []
  for (field, x, y) in pairs {
    let changed: Bool
    switch (x, y) {
    case (nil, nil): changed = false
    case (let x?, let y?): changed = abs(x - y) > tolerance || (tolerance == 0 && x != y)
    default: changed = true
    }
    if changed { out.append((field, MetricValue(value: x), MetricValue(value: y))) }
  }
  return out
}
