// `sweep diff`: the differences between two sweep manifests, cell by cell, ignoring run sections:
// cells only on one side, changed configs, content hashes, statuses and key metrics.

import CanonicalJSON
import Foundation

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
  /// The absolute tolerance metrics were compared with.
  public var tolerance: Double

  /// Whether A and B agree (within the tolerance).
  public var isEmpty: Bool { rows.isEmpty }

  /// Number of rows of each kind (kinds with no rows are absent).
  public var counts: [Kind: Int] {
    var out: [Kind: Int] = [:]
    for row in rows { out[row.kind, default: 0] += 1 }
    return out
  }

  /// Compares two sweep manifests. Metrics differ when their absolute change exceeds
  /// `tolerance`; a number against null always differs. Run sections are ignored.
  public static func compare(_ a: SweepManifest, _ b: SweepManifest, tolerance: Double)
    -> ManifestDiff
  {
    let left = Dictionary(a.cells.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    let right = Dictionary(b.cells.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    var rows: [Row] = []
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
            kind: .statusChanged, id: id, field: "status", a: .string(x.status),
            b: .string(y.status), delta: nil))
      }
      for d in metricDifferences(x.metrics, y.metrics, tolerance: tolerance, allFields: false) {
        let delta = d.a.value.flatMap { av in d.b.value.map { $0 - av } }
        rows.append(
          Row(
            kind: .metricChanged, id: id, field: d.field, a: optionalNumber(d.a.value),
            b: optionalNumber(d.b.value), delta: delta))
      }
    }
    return ManifestDiff(rows: rows, tolerance: tolerance)
  }

  /// Counts per kind, then an aligned table (kind, short id, field, A, B, delta) of at most
  /// `limit` rows; hashes are shortened to 12 digits.
  public func table(limit: Int?) -> String {
    guard !rows.isEmpty else {
      return "no differences (metric tolerance \(JSONValue.numberText(tolerance)))\n"
    }
    var out = ""
    let counts = self.counts
    let width = Kind.allCases.map(\.rawValue.count).max() ?? 0
    for kind in Kind.allCases {
      guard let n = counts[kind] else { continue }
      out += kind.rawValue.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(n)\n"
    }
    out += "\n"
    let shown = limit.map { Array(rows.prefix(max($0, 0))) } ?? rows
    var lines = [["kind", "id", "field", "A", "B", "delta"]]
    for row in shown {
      lines.append([
        row.kind.rawValue, String(row.id.prefix(12)), row.field, valueText(row.a),
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
    if shown.count < rows.count {
      out += "… \(rows.count - shown.count) more row\(rows.count - shown.count == 1 ? "" : "s")\n"
    }
    return out
  }

  /// Machine-readable form: tolerance, counts per kind and every row.
  public var json: JSONValue {
    var countsObject: [String: JSONValue] = [:]
    for (kind, n) in counts { countsObject[kind.rawValue] = JSONValue(int: n) }
    return .object([
      "tolerance": JSONValue(double: tolerance),
      "counts": .object(countsObject),
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

private func statusText(_ entry: SweepManifest.Entry?) -> String { entry?.status ?? "-" }

/// The first key (sorted) whose value differs between two config objects.
private func firstDifferingKey(_ a: JSONValue, _ b: JSONValue) -> String {
  let x = a.objectValue ?? [:]
  let y = b.objectValue ?? [:]
  return Set(x.keys).union(y.keys).sorted().first { x[$0] != y[$0] } ?? "config"
}

/// A value for the table: hashes shortened, strings bare, numbers canonical.
private func valueText(_ value: JSONValue) -> String {
  if let s = value.stringValue {
    return s.count == 64 && s.allSatisfy(\.isHexDigit) ? String(s.prefix(12)) : s
  }
  return value.canonicalText
}

/// A signed delta to 4 significant digits, e.g. `+0.0123` or `-2e-05`.
private func deltaText(_ d: Double) -> String {
  String(format: "%+.4g", d)
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}
