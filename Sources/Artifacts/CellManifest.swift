// The cell manifest `cells/<id>.json`: a cell's config, status, hashes of its step log and its
// key metrics, plus a run section of run-time facts that diffs ignore.

import CanonicalJSON
import SweepSpec
import TrainingCore

/// The key metrics of a cell, derived from its step records.
///
/// Loss values are kept as the `Double` of the `Float`'s shortest decimal (what the files hold),
/// so that a manifest read back from disk compares equal to the one written.
public struct CellMetrics: Sendable, Equatable {
  /// The last recorded validation accuracy and its step.
  public var finalAccuracy: Double?
  public var finalAccuracyStep: Int?
  /// The highest validation accuracy and the first step that reached it.
  public var bestAccuracy: Double?
  public var bestAccuracyStep: Int?
  /// The last record's value of each tracked loss, by loss name; `nil` when non-finite.
  public var finalLosses: [String: Double?]
  /// The last record's gradient norm of each tracked loss, by loss name; `nil` when non-finite.
  public var finalGradNorms: [String: Double?]

  public init(
    finalAccuracy: Double? = nil, finalAccuracyStep: Int? = nil, bestAccuracy: Double? = nil,
    bestAccuracyStep: Int? = nil, finalLosses: [String: Double?] = [:],
    finalGradNorms: [String: Double?] = [:]
  ) {
    self.finalAccuracy = finalAccuracy
    self.finalAccuracyStep = finalAccuracyStep
    self.bestAccuracy = bestAccuracy
    self.bestAccuracyStep = bestAccuracyStep
    self.finalLosses = finalLosses
    self.finalGradNorms = finalGradNorms
  }

  /// The `metrics` object of docs/FORMATS.md.
  public var json: JSONValue {
    .object([
      "final_accuracy": optionalNumber(finalAccuracy),
      "final_accuracy_step": optionalNumber(finalAccuracyStep.map(Double.init)),
      "best_accuracy": optionalNumber(bestAccuracy),
      "best_accuracy_step": optionalNumber(bestAccuracyStep.map(Double.init)),
      "final_losses": .object(finalLosses.mapValues(optionalNumber)),
      "final_grad_norms": .object(finalGradNorms.mapValues(optionalNumber)),
    ])
  }

  /// Reads a `metrics` object; `file` and `context` name it in errors.
  public init(json: JSONValue, file: String, context: String = "metrics") throws(ArtifactsError) {
    let fields = try ManifestFields(json, file: file, context: context)
    finalAccuracy = try fields.optionalDouble("final_accuracy")
    finalAccuracyStep = try fields.optionalInt("final_accuracy_step")
    bestAccuracy = try fields.optionalDouble("best_accuracy")
    bestAccuracyStep = try fields.optionalInt("best_accuracy_step")
    finalLosses = try fields.optionalDoubles("final_losses")
    finalGradNorms = try fields.optionalDoubles("final_grad_norms")
  }
}

/// Folds step records into `CellMetrics` and counts them.
struct MetricsAccumulator {
  let track: [Loss]
  private(set) var records = 0
  private(set) var metrics = CellMetrics()

  init(track: [Loss]) { self.track = track }

  mutating func add(_ record: StepRecord) {
    records += 1
    if let accuracy = record.accuracy {
      let value = JSONValue(double: accuracy).doubleValue
      metrics.finalAccuracy = value
      metrics.finalAccuracyStep = record.step
      if let value, value > metrics.bestAccuracy ?? -.infinity {
        metrics.bestAccuracy = value
        metrics.bestAccuracyStep = record.step
      }
    }
    var losses: [String: Double?] = [:]
    var norms: [String: Double?] = [:]
    for (i, loss) in track.enumerated() {
      let value: Double? = i < record.losses.count ? decimal(record.losses[i]) : nil
      let norm: Double? = i < record.gradNorms.count ? decimal(record.gradNorms[i]) : nil
      losses.updateValue(value, forKey: loss.rawValue)
      norms.updateValue(norm, forKey: loss.rawValue)
    }
    metrics.finalLosses = losses
    metrics.finalGradNorms = norms
  }

  private func decimal(_ value: Float) -> Double? { JSONValue(float: value).doubleValue }
}

/// The manifest of one finished cell, `cells/<id>.json` (see docs/FORMATS.md).
public struct CellManifest: Sendable, Equatable {
  /// The value of the `schema` key.
  public static let schema = "segsweep.cell/1"

  /// The cell id.
  public var id: CellID
  /// `coreSemanticsVersion` of the core that produced the records.
  public var coreVersion: String
  /// The canonical resolved config.
  public var config: JSONValue
  public var seed: Int
  /// `ok` or `diverged`.
  public var status: CellStatus
  /// The step at which a diverged run stopped.
  public var divergedStep: Int?
  /// Training steps executed.
  public var stepsRun: Int
  /// Number of NDJSON lines in the step log.
  public var records: Int
  /// SHA-256 of the uncompressed NDJSON bytes: the content hash.
  public var ndjsonSHA256: String
  /// SHA-256 and size of the `.ndjson.gz` file.
  public var gzipSHA256: String
  public var gzipBytes: Int
  public var metrics: CellMetrics
  /// Run-time facts (host, start time, wall seconds, …); ignored by diffs and verification.
  public var run: JSONValue

  public init(
    id: CellID, coreVersion: String = coreSemanticsVersion, config: JSONValue, seed: Int,
    status: CellStatus, divergedStep: Int?, stepsRun: Int, records: Int, ndjsonSHA256: String,
    gzipSHA256: String, gzipBytes: Int, metrics: CellMetrics, run: JSONValue
  ) {
    self.id = id
    self.coreVersion = coreVersion
    self.config = config
    self.seed = seed
    self.status = status
    self.divergedStep = divergedStep
    self.stepsRun = stepsRun
    self.records = records
    self.ndjsonSHA256 = ndjsonSHA256
    self.gzipSHA256 = gzipSHA256
    self.gzipBytes = gzipBytes
    self.metrics = metrics
    self.run = run
  }

  /// The status as the core reports it.
  public var runStatus: RunStatus {
    if status == .diverged, let divergedStep { return .diverged(step: divergedStep) }
    return .ok
  }

  /// The manifest as JSON; `prettyText` of this is the file's contents.
  public var json: JSONValue {
    .object([
      "schema": .string(CellManifest.schema),
      "id": .string(id.hex),
      "core_version": .string(coreVersion),
      "config": config,
      "seed": JSONValue(int: seed),
      "status": .string(status.rawValue),
      "diverged_step": optionalNumber(divergedStep.map(Double.init)),
      "steps_run": JSONValue(int: stepsRun),
      "records": JSONValue(int: records),
      "ndjson_sha256": .string(ndjsonSHA256),
      "gzip_sha256": .string(gzipSHA256),
      "gzip_bytes": JSONValue(int: gzipBytes),
      "metrics": metrics.json,
      "run": run,
    ])
  }

  /// Reads a cell manifest from its JSON; `file` names it in errors.
  public init(json: JSONValue, file: String = "(cell manifest)") throws(ArtifactsError) {
    let fields = try ManifestFields(json, file: file, context: "")
    try fields.expectSchema(CellManifest.schema)
    let idText = try fields.string("id")
    guard let id = CellID(hex: idText), id.hex == idText else {
      throw .badManifest(
        file: file, reason: "id is \"\(idText)\", expected 64 lowercase hex digits")
    }
    self.id = id
    coreVersion = try fields.string("core_version")
    config = try fields.object("config")
    seed = try fields.int("seed")
    status = try CellStatus(recorded: try fields.string("status"), file: file)
    divergedStep = try fields.optionalInt("diverged_step")
    stepsRun = try fields.int("steps_run")
    records = try fields.int("records")
    ndjsonSHA256 = try fields.string("ndjson_sha256")
    gzipSHA256 = try fields.string("gzip_sha256")
    gzipBytes = try fields.int("gzip_bytes")
    metrics = try CellMetrics(json: try fields.value("metrics"), file: file)
    run = fields.members["run"] ?? .object([:])
  }

  /// Reads the cell manifest at `path`.
  public static func load(path: String) throws(ArtifactsError) -> CellManifest {
    try CellManifest(json: try loadJSON(path), file: path)
  }
}

extension CellManifest {
  /// What the manifest claims that contradicts itself, cheaply (no file is read): the core
  /// version, the id against the config's hash, the seed, the status against `steps_run` and
  /// `diverged_step`, and `records` against the steps the config logs. Empty when consistent.
  public var claimProblems: [String] {
    if coreVersion != coreSemanticsVersion {
      return [
        "it was made by core version \(coreVersion), this build's core is \(coreSemanticsVersion)"
      ]
    }
    let resolved: TrainingConfig
    do {
      resolved = try id.config(verifying: config)
    } catch {
      return [error.message]
    }
    var problems: [String] = []
    if Int(truncatingIfNeeded: resolved.seed) != seed {
      problems.append("seed is \(seed), its config has seed \(resolved.seed)")
    }
    switch (status, divergedStep) {
    case (.ok, nil):
      if stepsRun != resolved.iterations {
        problems.append(
          "status is ok but steps_run is \(stepsRun), not the config's \(resolved.iterations) iterations"
        )
      }
    case (.ok, let step?):
      problems.append("status is ok but diverged_step is \(step)")
    case (.diverged, nil):
      problems.append("status is diverged but diverged_step is null")
    case (.diverged, let step?):
      if step < 0 || step >= resolved.iterations || stepsRun != step + 1 {
        problems.append(
          "status is diverged at step \(step) but steps_run is \(stepsRun) (expected \(step + 1))")
      }
    default:
      problems.append("status is \"\(status)\"")
    }
    if problems.isEmpty {
      let expected = loggedRecords(resolved, stepsRun: stepsRun, diverged: divergedStep != nil)
      if records != expected {
        problems.append(
          "records is \(records), but \(stepsRun) steps of this config log \(expected) records")
      }
    }
    return problems
  }
}

/// How many records a run of `config` that executed `stepsRun` steps logs: every eval step,
/// every `log_every`-th step and the last step (as `Trainer.run` does), or for a diverged run the
/// logged steps before the divergence plus the step that diverged.
func loggedRecords(_ config: TrainingConfig, stepsRun: Int, diverged: Bool) -> Int {
  let logged = max(0, diverged ? stepsRun - 1 : stepsRun)  // steps 0..<logged
  func multiples(_ k: Int) -> Int { logged > 0 && k > 0 ? (logged - 1) / k + 1 : 0 }
  let e = max(1, config.evalEvery)
  let l = max(1, config.logEvery)
  var a = e
  var b = l
  while b != 0 { (a, b) = (b, a % b) }
  let (lcm, overflow) = (e / a).multipliedReportingOverflow(by: l)
  var count = multiples(e) + multiples(l) - (overflow ? 0 : multiples(lcm))
  let last = config.iterations - 1
  if !diverged && logged == config.iterations && last >= 0 && last % e != 0 && last % l != 0 {
    count += 1
  }
  return count + (diverged ? 1 : 0)
}

/// A number, or `null` for nil.
func optionalNumber(_ value: Double?) -> JSONValue {
  value.map { JSONValue(double: $0) } ?? .null
}

/// Reads and parses a JSON file, turning every failure into `badManifest` naming the file.
func loadJSON(_ path: String) throws(ArtifactsError) -> JSONValue {
  let bytes: [UInt8]
  do {
    bytes = try readFile(path)
  } catch {
    throw .badManifest(file: path, reason: "\(error)")
  }
  do {
    return try JSONValue(parsing: bytes)
  } catch {
    throw .badManifest(file: "\(path):\(error.line):\(error.column)", reason: error.message)
  }
}

/// Typed access to the members of a manifest object, with errors that name the file and key.
struct ManifestFields {
  let members: [String: JSONValue]
  let file: String
  /// The path of this object inside the manifest, e.g. `cells[3]`; empty at the top.
  let context: String

  /// Checks that the document's `schema` is `expected`.
  func expectSchema(_ expected: String) throws(ArtifactsError) {
    let schema = try string("schema")
    guard schema == expected else {
      throw .badManifest(file: file, reason: "schema is \"\(schema)\", expected \"\(expected)\"")
    }
  }

  init(_ value: JSONValue, file: String, context: String) throws(ArtifactsError) {
    guard let object = value.objectValue else {
      throw .badManifest(
        file: file,
        reason: context.isEmpty ? "expected an object" : "\(context): expected an object")
    }
    self.members = object
    self.file = file
    self.context = context
  }

  private func name(_ key: String) -> String { context.isEmpty ? key : "\(context).\(key)" }

  private func fail(_ key: String, _ expected: String) -> ArtifactsError {
    let found = members[key].map { "found \($0.canonicalText.prefix(40))" } ?? "missing"
    return .badManifest(file: file, reason: "\"\(name(key))\": expected \(expected), \(found)")
  }

  func value(_ key: String) throws(ArtifactsError) -> JSONValue {
    guard let value = members[key] else { throw fail(key, "a value") }
    return value
  }

  func string(_ key: String) throws(ArtifactsError) -> String {
    guard let s = members[key]?.stringValue else { throw fail(key, "a string") }
    return s
  }

  func int(_ key: String) throws(ArtifactsError) -> Int {
    guard let n = members[key]?.intValue else { throw fail(key, "an integer") }
    return n
  }

  func optionalInt(_ key: String) throws(ArtifactsError) -> Int? {
    guard let value = members[key], !value.isNull else { return nil }
    guard let n = value.intValue else { throw fail(key, "an integer or null") }
    return n
  }

  func optionalDouble(_ key: String) throws(ArtifactsError) -> Double? {
    guard let value = members[key], !value.isNull else { return nil }
    guard let d = value.doubleValue else { throw fail(key, "a number or null") }
    return d
  }

  func object(_ key: String) throws(ArtifactsError) -> JSONValue {
    guard let value = members[key], value.objectValue != nil else { throw fail(key, "an object") }
    return value
  }

  func array(_ key: String) throws(ArtifactsError) -> [JSONValue] {
    guard let items = members[key]?.arrayValue else { throw fail(key, "an array") }
    return items
  }

  /// An object whose members are numbers or null.
  func optionalDoubles(_ key: String) throws(ArtifactsError) -> [String: Double?] {
    guard let members = members[key]?.objectValue else { throw fail(key, "an object") }
    var out: [String: Double?] = [:]
    for (k, v) in members {
      if v.isNull {
        out.updateValue(nil, forKey: k)
      } else if let d = v.doubleValue {
        out.updateValue(d, forKey: k)
      } else {
        throw fail(key, "numbers or null")
      }
    }
    return out
  }
}
