// `sweep diff`: the differences between two sweep manifests, cell by cell, ignoring run sections:
// cells only on one side, changed configs, content hashes, statuses and key metrics; cells only
// on one side paired by config, and how the numbers moved (Movement.swift).

import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// The differences between sweep manifests A and B, matched by cell id.
public struct ManifestDiff: Sendable, Equatable {
  /// What differs.
  public enum Kind: String, Sendable, CaseIterable, Comparable {
    case onlyInA = "only in A"
    case onlyInB = "only in B"
    /// The same id with a different config: a corrupt or hand-edited manifest.
    case configChanged = "config changed"
    case contentChanged = "content hash changed"
    case statusChanged = "status changed"
    /// A key metric (final_accuracy, best_accuracy, final_losses.*) moved by more than the
    /// tolerance, or is null on one side only.
    case metricChanged = "metric changed"

    public static func < (a: Kind, b: Kind) -> Bool {
      allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
  }

  /// One difference.
  public struct Row: Sendable, Equatable {
    public var kind: Kind
    /// The full cell id.
    public var id: String
    /// The field that differs (`-` for whole cells).
    public var field: String
    /// The values on each side; `null` when absent.
    public var a: JSONValue
    public var b: JSONValue
    /// `b − a` when both are numbers.
    public var delta: Double?
  }

  /// All differences, by cell id, then kind, in field order.
  public var rows: [Row]
  /// The tolerance metrics were compared with.
  public var tolerance: Tolerance
  /// Cells with the same id on both sides.
  public var matched: Int
  /// Cells only in A and only in B, paired by their config minus the keys that changed.
  public var configChanges: [ConfigChange]
  /// Cells only in A or only in B that have no partner.
  public var unpaired: [UnpairedCells]
  /// How each metric moved over the cells with the same id.
  public var movement: [MetricMovement]

  /// Whether A and B agree (within the tolerance).
  public var isEmpty: Bool { rows.isEmpty }

  /// Number of rows of each kind (kinds with no rows are absent).
  public var counts: [Kind: Int] {
    var out: [Kind: Int] = [:]
    for row in rows { out[row.kind, default: 0] += 1 }
    return out
  }

  /// Compares two sweep manifests with an absolute tolerance on the metrics.
  public static func compare(_ a: SweepManifest, _ b: SweepManifest, tolerance: Double)
    -> ManifestDiff
  {
    compare(a, b, tolerance: Tolerance(atol: tolerance))
  }

  /// Compares two sweep manifests. Metrics differ when they are not the same within `tolerance`
  /// (|a − b| > atol + rtol·|b|); a number against null always differs. Run sections are
  /// ignored.
  public static func compare(_ a: SweepManifest, _ b: SweepManifest, tolerance: Tolerance)
    -> ManifestDiff
  {
    let left = Dictionary(a.cells.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    let right = Dictionary(b.cells.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    var rows: [Row] = []
    var same: [(a: SweepManifest.Entry, b: SweepManifest.Entry)] = []
    for id in Set(left.keys).union(right.keys).sorted() {
      guard let x = left[id] else {
        rows.append(
          Row(
            kind: .onlyInB, id: id, field: "-", a: .null, b: .string(statusText(right[id])),
            delta: nil))
        continue
      }
      guard let y = right[id] else {
        rows.append(
          Row(kind: .onlyInA, id: id, field: "-", a: .string(statusText(x)), b: .null, delta: nil))
        continue
      }
      same.append((x, y))
      if x.config != y.config {
        let field = firstDifferingKey(x.config, y.config)
        rows.append(
          Row(
            kind: .configChanged, id: id, field: field, a: x.config[field] ?? .null,
            b: y.config[field] ?? .null, delta: nil))
      }
      if x.contentSHA256 != y.contentSHA256 {
        rows.append(
          Row(
            kind: .contentChanged, id: id, field: "content_sha256", a: .string(x.contentSHA256),
            b: .string(y.contentSHA256), delta: nil))
      }
      if x.status != y.status {
        rows.append(
          Row(
            kind: .statusChanged, id: id, field: "status", a: .string(x.status.rawValue),
            b: .string(y.status.rawValue), delta: nil))
      }
      for (field, va, vb) in comparedMetrics(x.metrics, y.metrics)
      where !tolerance.isClose(va, vb, name: field) {
        let delta = va.flatMap { av in vb.map { $0 - av } }
        rows.append(
          Row(
            kind: .metricChanged, id: id, field: field, a: optionalNumber(va),
            b: optionalNumber(vb), delta: delta))
      }
    }
    let onlyA = a.cells.filter { right[$0.id] == nil }
    let onlyB = b.cells.filter { left[$0.id] == nil }
    let pairing = pairByConfig(
      onlyA: onlyA, onlyB: onlyB, allA: a.cells, allB: b.cells, tolerance: tolerance)
    return ManifestDiff(
      rows: rows, tolerance: tolerance, matched: same.count, configChanges: pairing.changes,
      unpaired: pairing.unpaired, movement: metricMovement(same, tolerance: tolerance))
  }

  /// Ids of cells only in A or only in B that were paired with a cell of the other side.
  var pairedIDs: Set<String> {
    Set(configChanges.flatMap { change in change.pairs.flatMap { [$0.a, $0.b] } })
  }

  /// Counts per kind; the config changes that pair cells only in A with cells only in B, and
  /// how their metrics moved; how the metrics of the cells with the same id moved; then an
  /// aligned table (kind, short id, field, A, B, delta) of at most `limit` rows, leaving out
  /// the cells explained by a config change. Hashes are shortened to 12 digits.
  public func table(limit: Int?) -> String {
    guard !rows.isEmpty else {
      return "no differences (\(matched) cells; metric tolerance \(tolerance.description))\n"
    }
    var out = ""
    let counts = self.counts
    let width = Kind.allCases.map(\.rawValue.count).max() ?? 0
    for kind in Kind.allCases {
      guard let n = counts[kind] else { continue }
      out += kind.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(n)\n"
    }
    out += "\n"
    if !configChanges.isEmpty || !unpaired.isEmpty {
      out += "cells only in A or only in B, paired by the rest of their config:\n"
      for change in configChanges {
        out += "  \(change.label): \(change.sizeText)\n"
        out += movementTable(change.movement, indent: "    ")
      }
      for cells in unpaired { out += "  \(cells.label)\n" }
      out += "\n"
    }
    if matched > 0 && rows.contains(where: { $0.kind == .metricChanged }) {
      out += "how the metrics moved over the \(matched) cells with the same id "
      out += "(tolerance \(tolerance.description)):\n"
      out += movementTable(movement, indent: "  ") + "\n"
    }
    let paired = pairedIDs
    let listed = rows.filter {
      !(($0.kind == .onlyInA || $0.kind == .onlyInB) && paired.contains($0.id))
    }
    if listed.count < rows.count {
      out += "(\(rows.count - listed.count) only-in rows of paired cells are not listed)\n"
    }
    let shown = limit.map { Array(listed.prefix(max($0, 0))) } ?? listed
    guard !shown.isEmpty else { return out }
    var lines = [["kind", "id", "field", "A", "B", "delta"]]
    for row in shown {
      lines.append([
        row.kind.rawValue, shortHex(row.id), row.field, valueText(row.a),
        valueText(row.b), row.delta.map(deltaText) ?? "",
      ])
    }
    var widths = [Int](repeating: 0, count: 6)
    for line in lines {
      for (i, field) in line.enumerated() { widths[i] = max(widths[i], field.count) }
    }
    for line in lines {
      let padded = line.enumerated().map { i, field in
        i == 5 ? field : field + String(repeating: " ", count: widths[i] - field.count)
      }
      out += padded.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
    }
    if shown.count < listed.count {
      out +=
        "… \(listed.count - shown.count) more row\(listed.count - shown.count == 1 ? "" : "s")\n"
    }
    return out
  }

  /// Machine-readable form: tolerance, counts per kind, config changes, unpaired cells, the
  /// movement of the same-id cells and every row.
  public var json: JSONValue {
    var countsObject: [String: JSONValue] = [:]
    for (kind, n) in counts { countsObject[kind.rawValue] = JSONValue(int: n) }
    return .object([
      "tolerance": tolerance.json,
      "counts": .object(countsObject),
      "matched": JSONValue(int: matched),
      "config_changes": .array(configChanges.map(\.json)),
      "unpaired": .array(unpaired.map(\.json)),
      "movement": .array(movement.map(\.json)),
      "rows": .array(
        rows.map { row in
          .object([
            "kind": .string(row.kind.rawValue), "id": .string(row.id), "field": .string(row.field),
            "a": row.a, "b": row.b, "delta": optionalNumber(row.delta),
          ])
        }),
    ])
  }
}

private func statusText(_ entry: SweepManifest.Entry?) -> String { entry?.status.rawValue ?? "-" }

/// The first key (sorted) whose value differs between two config objects.
private func firstDifferingKey(_ a: JSONValue, _ b: JSONValue) -> String {
  let x = a.objectValue ?? [:]
  let y = b.objectValue ?? [:]
  return Set(x.keys).union(y.keys).sorted().first { x[$0] != y[$0] } ?? "config"
}

/// A value for the table: hashes shortened, strings bare, numbers canonical.
private func valueText(_ value: JSONValue) -> String {
  if let s = value.stringValue {
    return s.count == 64 && s.allSatisfy(\.isHexDigit) ? shortHex(s) : s
  }
  return value.canonicalText
}

/// A signed delta to 4 significant digits, e.g. `+0.0123` or `-2e-05`.
private func deltaText(_ d: Double) -> String { signedText(d) }

/// The metrics `sweep diff` compares, with each side's value: final and best accuracy, and the
/// final value of every tracked loss.
func comparedMetrics(_ a: CellMetrics, _ b: CellMetrics) -> [(String, Double?, Double?)] {
  var out: [(String, Double?, Double?)] = [
    ("final_accuracy", a.finalAccuracy, b.finalAccuracy),
    ("best_accuracy", a.bestAccuracy, b.bestAccuracy),
  ]
  let keys = Set(a.finalLosses.keys).union(b.finalLosses.keys).sorted {
    (Loss(rawValue: $0)?.index ?? Int.max, $0) < (Loss(rawValue: $1)?.index ?? Int.max, $1)
  }
  for key in keys {
    out.append(("final_losses.\(key)", a.finalLosses[key] ?? nil, b.finalLosses[key] ?? nil))
  }
  return out
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
