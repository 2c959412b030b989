// `sweep diff --logs`: the step logs of cells with the same id in two sweeps, compared record by
// record: the first differing step, and per key the largest absolute and relative difference and
// where it is. It reads the .gz files themselves, so it catches a damaged log the manifests
// cannot show.

import CanonicalJSON
import Foundation
import SweepSpec

/// The comparison of the two step logs of one cell id.
public struct CellLogComparison: Sendable, Equatable {
  /// The largest differences of one record key over the whole log.
  public struct KeyDifference: Sendable, Equatable {
    public var key: String
    /// Records where the key's values are not the same within the tolerance.
    public var differing: Int
    /// The largest |a − b| and the step where it is (nil when only null/absent values differ).
    public var largestAbsolute: Double?
    public var absoluteStep: Int?
    /// The largest |a − b| / |b| (infinite when b is 0) and its step.
    public var largestRelative: Double?
    public var relativeStep: Int?
    /// The first step where the key differs.
    public var firstStep: Int
  }

  public var id: String
  /// Why a log could not be compared (missing, truncated, corrupt), naming the file.
  public var problem: String?
  public var recordsA: Int
  public var recordsB: Int
  /// Records that differ, counting records present in one log only.
  public var differingRecords: Int
  /// The first step whose records differ.
  public var firstDifferingStep: Int?
  /// Keys that differ, in record key order.
  public var keys: [KeyDifference]

  /// Whether the logs agree within the tolerance.
  public var same: Bool { problem == nil && differingRecords == 0 }

  var json: JSONValue {
    .object([
      "id": .string(id), "problem": problem.map(JSONValue.string) ?? .null,
      "records_a": JSONValue(int: recordsA), "records_b": JSONValue(int: recordsB),
      "differing_records": JSONValue(int: differingRecords),
      "first_differing_step": optionalNumber(firstDifferingStep.map(Double.init)),
      "keys": .array(
        keys.map { key in
          .object([
            "key": .string(key.key), "differing": JSONValue(int: key.differing),
            "first_step": JSONValue(int: key.firstStep),
            "largest_absolute": optionalNumber(key.largestAbsolute),
            "absolute_step": optionalNumber(key.absoluteStep.map(Double.init)),
            "largest_relative": key.largestRelative.map {
              $0.isFinite ? JSONValue(double: $0) : .string("inf")
            } ?? .null,
            "relative_step": optionalNumber(key.relativeStep.map(Double.init)),
          ])
        }),
    ])
  }
}

/// Compares two uncompressed step logs record by record; records are matched by `step`. A line
/// that does not parse, or a record in one log only, counts as a differing record (reported
/// under the key `(record)`).
public func compareStepLogs(
  id: String, _ a: [UInt8], _ b: [UInt8], tolerance: Tolerance
) -> CellLogComparison {
  var result = CellLogComparison(
    id: id, problem: nil, recordsA: 0, recordsB: 0, differingRecords: 0, firstDifferingStep: nil,
    keys: [])
  if a == b {
    let lines = a.split(separator: UInt8(ascii: "\n")).count
    result.recordsA = lines
    result.recordsB = lines
    return result
  }
  let left = recordsByStep(a)
  let right = recordsByStep(b)
  result.recordsA = left.count
  result.recordsB = right.count
  var keys: [String: CellLogComparison.KeyDifference] = [:]
  var order: [String] = []
  func note(_ key: String, step: Int, abs: Double?, rel: Double?) {
    if keys[key] == nil {
      order.append(key)
      keys[key] = CellLogComparison.KeyDifference(
        key: key, differing: 0, largestAbsolute: nil, absoluteStep: nil, largestRelative: nil,
        relativeStep: nil, firstStep: step)
    }
    guard var entry = keys[key] else { return }
    entry.differing += 1
    if let abs, abs > (entry.largestAbsolute ?? -1) {
      entry.largestAbsolute = abs
      entry.absoluteStep = step
    }
    if let rel, rel > (entry.largestRelative ?? -1) {
      entry.largestRelative = rel
      entry.relativeStep = step
    }
    keys[key] = entry
  }
  for step in Set(left.keys).union(right.keys).sorted() {
    let (x, y) = (left[step], right[step])
    if let x, let y, x.text == y.text { continue }
    var differs = false
    if let fx = x?.fields, let fy = y?.fields {
      for key in fx.keys.map(\.self) + fy.keys.filter({ fx[$0] == nil }) {
        let (vx, vy) = (fx[key], fy[key])
        if vx == vy { continue }
        let (dx, dy) = (vx?.doubleValue, vy?.doubleValue)
        if vx != nil && vy != nil && (dx != nil || vx == .null) && (dy != nil || vy == .null)
          && tolerance.isClose(dx, dy, name: key)
        {
          continue
        }
        differs = true
        if let dx, let dy {
          let absolute = Swift.abs(dx - dy)
          let relative = dy == 0 ? Double.infinity : absolute / Swift.abs(dy)
          note(key, step: step, abs: absolute, rel: relative)
        } else {
          note(key, step: step, abs: nil, rel: nil)
        }
      }
    } else {
      differs = true
      note("(record)", step: step, abs: nil, rel: nil)
    }
    if differs {
      result.differingRecords += 1
      if result.firstDifferingStep == nil { result.firstDifferingStep = step }
    }
  }
  if result.differingRecords == 0 && a != b && tolerance.isExact {
    // Same records, different bytes: a reordered or unterminated line.
    result.differingRecords = 1
    result.firstDifferingStep = -1
    note("(bytes)", step: -1, abs: nil, rel: nil)
  }
  result.keys = order.sorted { keyRank($0) < keyRank($1) }.compactMap { keys[$0] }
  return result
}

/// The records of a log by step. A line that does not parse gets a negative step of its own.
private func recordsByStep(_ bytes: [UInt8]) -> [Int: (
  text: ArraySlice<UInt8>, fields: [String: JSONValue]?
)] {
  var out: [Int: (text: ArraySlice<UInt8>, fields: [String: JSONValue]?)] = [:]
  var number = 0
  for line in bytes.split(separator: UInt8(ascii: "\n")) {
    number += 1
    let fields = (try? JSONValue(parsing: Array(line)))?.objectValue
    if let step = fields?["step"]?.intValue, out[step] == nil {
      out[step] = (line, fields)
    } else {
      out[-number] = (line, nil)
    }
  }
  return out
}

/// Orders record keys as a step log writes them: step, losses, gradient norms, accuracy.
private func keyRank(_ key: String) -> (Int, String) {
  if key == "step" { return (0, key) }
  if key.hasPrefix("loss_") { return (1, key) }
  if key.hasPrefix("grad_") { return (2, key) }
  if key == "accuracy" { return (3, key) }
  return (4, key)
}

/// The step-log comparison of two sweep directories: every cell id both manifests list.
public struct LogDiff: Sendable, Equatable {
  public var compared: [CellLogComparison]
  public var tolerance: Tolerance

  public var differing: [CellLogComparison] { compared.filter { !$0.same } }
  public var isEmpty: Bool { differing.isEmpty }

  /// Compares the step logs under `directoryA/cells` and `directoryB/cells` of every id both
  /// manifests list, on `logReadingThreads` threads; `progress` gets (done, total).
  public static func compare(
    _ a: SweepManifest, directoryA: String, _ b: SweepManifest, directoryB: String,
    tolerance: Tolerance, progress: (@Sendable (Int, Int) -> Void)? = nil
  ) -> LogDiff {
    let inB = Set(b.cells.map(\.id))
    let ids = a.cells.map(\.id).filter { inB.contains($0) }.sorted()
    let compared = parallelMap(ids, progress: progress) { id in
      let bytesA: [UInt8]
      let bytesB: [UInt8]
      do throws(ArtifactsError) {
        guard let cellID = CellID(hex: id) else {
          throw .badManifest(file: id, reason: "not a cell id (64 hex digits)")
        }
        let pathA = SweepDirectory(directoryA).cellLog(cellID)
        let pathB = SweepDirectory(directoryB).cellLog(cellID)
        bytesA = try gunzip(contentsOf: pathA)
        bytesB = try gunzip(contentsOf: pathB)
      } catch {
        return CellLogComparison(
          id: id, problem: error.description, recordsA: 0, recordsB: 0, differingRecords: 0,
          firstDifferingStep: nil, keys: [])
      }
      return compareStepLogs(id: id, bytesA, bytesB, tolerance: tolerance)
    }
    return LogDiff(compared: compared, tolerance: tolerance)
  }

  /// One line of counts, then one block per cell whose logs differ or cannot be read.
  public var text: String {
    let problems = compared.filter { $0.problem != nil }.count
    let differ = differing.count - problems
    var out =
      "step logs of \(compared.count) cell\(compared.count == 1 ? "" : "s") with the same id: "
    out += "\(compared.count - differing.count) the same, \(differ) differ, \(problems) unreadable"
    out += " (tolerance \(tolerance.description))\n"
    for cell in differing {
      let short = shortHex(cell.id)
      if let problem = cell.problem {
        out += "  \(short)  unreadable: \(problem)\n"
        continue
      }
      out += "  \(short)  \(cell.differingRecords) of \(max(cell.recordsA, cell.recordsB)) records "
      out += "differ (A \(cell.recordsA), B \(cell.recordsB)), first at step "
      out += "\(cell.firstDifferingStep.map(String.init) ?? "-")\n"
      for key in cell.keys {
        out += "    \(key.key): \(key.differing) record\(key.differing == 1 ? "" : "s")"
        out += ", first at step \(key.firstStep)"
        if let abs = key.largestAbsolute, let step = key.absoluteStep {
          out += "; largest |Δ| \(String(format: "%.4g", abs)) at step \(step)"
        }
        if let rel = key.largestRelative, let step = key.relativeStep {
          out +=
            ", largest relative \(rel.isFinite ? String(format: "%.4g", rel) : "inf") at step \(step)"
        }
        out += "\n"
      }
    }
    return out
  }

  public var json: JSONValue {
    .object([
      "tolerance": tolerance.json, "compared": JSONValue(int: compared.count),
      "differing": .array(differing.map(\.json)),
    ])
  }
}
