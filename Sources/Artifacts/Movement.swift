// How numbers moved between two sweeps, for `sweep diff`: cells only in A or only in B paired by
// their config minus the keys that changed ("learning_rate 0.001 → 0.01: 40 cells"), and per
// metric how many values moved, the median and largest move, and the cells that moved most.

import CanonicalJSON
import SweepSpec
import TrainingCore

/// How one metric moved over a set of cell pairs.
public struct MetricMovement: Sendable, Equatable {
  /// One pair of cells and the metric's value on each side.
  public struct Move: Sendable, Equatable {
    public var a: String
    public var b: String
    public var valueA: Double?
    public var valueB: Double?
    /// `valueB − valueA` when both are numbers.
    public var delta: Double? { valueA.flatMap { x in valueB.map { $0 - x } } }
  }

  /// `final_accuracy`, `best_accuracy` or `final_losses.<name>`.
  public var metric: String
  /// Pairs in which the metric is present on at least one side.
  public var compared: Int
  /// Pairs whose values are not the same within the tolerance, largest |Δ| first; a number
  /// against null comes after every numeric move.
  public var moved: [Move]

  /// Median of the signed moves `b − a` over the moved pairs with two numbers.
  public var medianDelta: Double? {
    let deltas = moved.compactMap(\.delta).sorted()
    guard !deltas.isEmpty else { return nil }
    let middle = deltas.count / 2
    return deltas.count % 2 == 1 ? deltas[middle] : (deltas[middle - 1] + deltas[middle]) / 2
  }

  /// The largest move, signed.
  public var largestDelta: Double? { moved.first?.delta }

  /// Moves between a number and null.
  public var nullMoves: Int { moved.filter { $0.delta == nil }.count }

  var json: JSONValue {
    .object([
      "metric": .string(metric), "compared": JSONValue(int: compared),
      "moved": JSONValue(int: moved.count), "null_moves": JSONValue(int: nullMoves),
      "median_delta": optionalNumber(medianDelta), "largest_delta": optionalNumber(largestDelta),
      "most_moved": .array(
        moved.prefix(5).map { move in
          .object([
            "a": .string(move.a), "b": .string(move.b), "value_a": optionalNumber(move.valueA),
            "value_b": optionalNumber(move.valueB), "delta": optionalNumber(move.delta),
          ])
        }),
    ])
  }
}

/// Cells of A and B that are the same experiment but for a change of config: every pair differs in
/// the same keys by the same values.
public struct ConfigChange: Sendable, Equatable {
  /// One changed key.
  public struct KeyChange: Sendable, Hashable {
    public var key: String
    public var a: JSONValue
    public var b: JSONValue
  }

  /// The keys that differ, sorted; empty when the configs are equal and only the id changed (a
  /// new core version).
  public var changes: [KeyChange]
  /// The paired cell ids (A, B), sorted.
  public var pairs: [(a: String, b: String)]
  /// How each metric moved over the pairs.
  public var movement: [MetricMovement]

  /// E.g. `learning_rate 0.001 → 0.01`, or `same config, new id`.
  public var label: String {
    guard !changes.isEmpty else { return "same config, new id" }
    return changes.map { "\($0.key) \(plainValue($0.a)) → \(plainValue($0.b))" }.joined(
      separator: ", ")
  }

  /// `40 cells` when every cell is in one pair, else `6 pairs of 2 and 3 cells`.
  public var sizeText: String {
    let (a, b) = (Set(pairs.map(\.a)).count, Set(pairs.map(\.b)).count)
    if a == pairs.count && b == pairs.count {
      return "\(pairs.count) cell\(pairs.count == 1 ? "" : "s")"
    }
    return "\(pairs.count) pairs of \(a) and \(b) cells"
  }

  public static func == (x: ConfigChange, y: ConfigChange) -> Bool {
    x.changes == y.changes && x.pairs.map(\.a) == y.pairs.map(\.a)
      && x.pairs.map(\.b) == y.pairs.map(\.b) && x.movement == y.movement
  }

  var json: JSONValue {
    .object([
      "label": .string(label),
      "changes": .array(
        changes.map { .object(["key": .string($0.key), "a": $0.a, "b": $0.b]) }),
      "pairs": .array(pairs.map { .array([.string($0.a), .string($0.b)]) }),
      "movement": .array(movement.map(\.json)),
    ])
  }
}

/// Cells on one side that have no partner on the other, described by the config values no cell
/// of the other side has (`theta 0.25`).
public struct UnpairedCells: Sendable, Equatable {
  public var side: String
  public var ids: [String]
  /// Keys with values that no cell of the other side has, and those values.
  public var distinguishing: [(key: String, values: [JSONValue])]

  public static func == (x: UnpairedCells, y: UnpairedCells) -> Bool {
    x.side == y.side && x.ids == y.ids && x.distinguishing.map(\.key) == y.distinguishing.map(\.key)
      && x.distinguishing.map(\.values) == y.distinguishing.map(\.values)
  }

  public var label: String {
    let what = distinguishing.map { item in
      "\(item.key) " + item.values.map(plainValue).joined(separator: ", ")
    }
    return "only in \(side): \(ids.count) cell\(ids.count == 1 ? "" : "s")"
      + (what.isEmpty ? "" : " (" + what.joined(separator: "; ") + ")")
  }

  var json: JSONValue {
    .object([
      "side": .string(side), "ids": .array(ids.map(JSONValue.string)),
      "distinguishing": .object(
        Dictionary(
          distinguishing.map { ($0.key, JSONValue.array($0.values)) },
          uniquingKeysWith: { first, _ in first })),
    ])
  }
}

/// Pairs the cells only in A with the cells only in B: a key whose values among A's unmatched
/// cells and B's unmatched cells have nothing in common is a changed key; cells whose configs
/// agree on every other key are paired. Returns the pairs grouped by what changed, and what
/// stayed unpaired on each side.
func pairByConfig(
  onlyA: [SweepManifest.Entry], onlyB: [SweepManifest.Entry], allA: [SweepManifest.Entry],
  allB: [SweepManifest.Entry], tolerance: Tolerance
) -> (changes: [ConfigChange], unpaired: [UnpairedCells]) {
  guard !onlyA.isEmpty || !onlyB.isEmpty else { return ([], []) }
  var keys = Set<String>()
  for entry in onlyA + onlyB { keys.formUnion(entry.config.objectValue?.keys ?? [:].keys) }
  func values(_ entries: [SweepManifest.Entry], _ key: String) -> Set<JSONValue> {
    Set(entries.map { $0.config[key] ?? .null })
  }
  let changedKeys = keys.filter { values(onlyA, $0).isDisjoint(with: values(onlyB, $0)) }
  let kept = keys.subtracting(changedKeys).sorted()
  func projection(_ entry: SweepManifest.Entry) -> [JSONValue] {
    kept.map { entry.config[$0] ?? .null }
  }
  var groupsB: [[JSONValue]: [SweepManifest.Entry]] = [:]
  for entry in onlyB { groupsB[projection(entry), default: []].append(entry) }
  var byLabel: [[ConfigChange.KeyChange]: [(a: SweepManifest.Entry, b: SweepManifest.Entry)]] =
    [:]
  var pairedA = Set<String>()
  var pairedB = Set<String>()
  if !onlyA.isEmpty && !onlyB.isEmpty {
    for x in onlyA {
      for y in groupsB[projection(x)] ?? [] {
        let changes = changedKeys.sorted().compactMap { key -> ConfigChange.KeyChange? in
          let (va, vb) = (x.config[key] ?? .null, y.config[key] ?? .null)
          return va == vb ? nil : ConfigChange.KeyChange(key: key, a: va, b: vb)
        }
        byLabel[changes, default: []].append((x, y))
        pairedA.insert(x.id)
        pairedB.insert(y.id)
      }
    }
  }
  let changes = byLabel.map { changes, pairs in
    let sorted = pairs.sorted { ($0.a.id, $0.b.id) < ($1.a.id, $1.b.id) }
    return ConfigChange(
      changes: changes, pairs: sorted.map { ($0.a.id, $0.b.id) },
      movement: metricMovement(sorted, tolerance: tolerance))
  }.sorted { ($0.label, $0.pairs.first?.a ?? "") < ($1.label, $1.pairs.first?.a ?? "") }

  func unpaired(_ side: String, _ entries: [SweepManifest.Entry], other: [SweepManifest.Entry])
    -> UnpairedCells?
  {
    let rest = entries.filter { !pairedA.contains($0.id) && !pairedB.contains($0.id) }
    guard !rest.isEmpty else { return nil }
    var distinguishing: [(key: String, values: [JSONValue])] = []
    for key in keys.sorted() {
      let own = values(rest, key)
      let new = own.subtracting(values(other, key))
      if !new.isEmpty && !other.isEmpty {
        distinguishing.append((key, new.sorted(by: valueOrder)))
      }
    }
    return UnpairedCells(side: side, ids: rest.map(\.id).sorted(), distinguishing: distinguishing)
  }
  let unpairedCells = [
    unpaired("A", onlyA, other: allB), unpaired("B", onlyB, other: allA),
  ].compactMap { $0 }
  return (changes, unpairedCells)
}

/// How each metric moved over `pairs`: final and best accuracy, then the final value of each
/// tracked loss.
func metricMovement(
  _ pairs: [(a: SweepManifest.Entry, b: SweepManifest.Entry)], tolerance: Tolerance
) -> [MetricMovement] {
  var lossNames = Set<String>()
  for pair in pairs {
    lossNames.formUnion(pair.a.metrics.finalLosses.keys)
    lossNames.formUnion(pair.b.metrics.finalLosses.keys)
  }
  let losses = lossNames.sorted {
    (Loss(rawValue: $0)?.index ?? Int.max, $0) < (Loss(rawValue: $1)?.index ?? Int.max, $1)
  }
  var fields: [(String, (CellMetrics) -> Double?)] = [
    ("final_accuracy", { $0.finalAccuracy }), ("best_accuracy", { $0.bestAccuracy }),
  ]
  for loss in losses { fields.append(("final_losses.\(loss)", { $0.finalLosses[loss] ?? nil })) }
  return fields.map { name, value in
    var compared = 0
    var moved: [MetricMovement.Move] = []
    for pair in pairs {
      let (x, y) = (value(pair.a.metrics), value(pair.b.metrics))
      if x == nil && y == nil { continue }
      compared += 1
      if !tolerance.isClose(x, y, name: name) {
        moved.append(MetricMovement.Move(a: pair.a.id, b: pair.b.id, valueA: x, valueB: y))
      }
    }
    moved.sort { m, n in
      switch (m.delta, n.delta) {
      case (let p?, let q?): return abs(p) != abs(q) ? abs(p) > abs(q) : m.a < n.a
      case (.some, nil): return true
      case (nil, .some): return false
      case (nil, nil): return m.a < n.a
      }
    }
    return MetricMovement(metric: name, compared: compared, moved: moved)
  }
}

/// Config values in a stable order: numbers by value, anything else by its canonical text.
private func valueOrder(_ x: JSONValue, _ y: JSONValue) -> Bool {
  if let a = x.doubleValue, let b = y.doubleValue { return a < b }
  return x.canonicalText < y.canonicalText
}

/// A config value as people write it: strings bare, everything else canonical JSON.
func plainValue(_ value: JSONValue) -> String { value.stringValue ?? value.canonicalText }

/// The movement table: one line per metric that was compared.
func movementTable(_ movement: [MetricMovement], indent: String) -> String {
  let shown = movement.filter { $0.compared > 0 }
  guard shown.contains(where: { !$0.moved.isEmpty }) else {
    return indent + "no metric moved\n"
  }
  var lines = [["metric", "moved", "median Δ", "largest Δ", "most moved"]]
  for m in shown {
    let most = m.moved.prefix(3).map { move -> String in
      let id =
        move.a == move.b
        ? shortHex(move.a) : "\(move.a.prefix(8))→\(move.b.prefix(8))"
      return id + " "
        + (move.delta.map(signedText) ?? "\(numberOrNull(move.valueA))→\(numberOrNull(move.valueB))")
    }
    lines.append([
      m.metric, "\(m.moved.count)/\(m.compared)", m.medianDelta.map(signedText) ?? "",
      m.largestDelta.map(signedText) ?? "", most.joined(separator: ", "),
    ])
  }
  var widths = [Int](repeating: 0, count: 5)
  for line in lines {
    for (i, field) in line.enumerated() { widths[i] = max(widths[i], field.count) }
  }
  return lines.map { line in
    indent
      + line.enumerated().map { i, field in
        i == line.count - 1
          ? field : field.padding(toLength: widths[i], withPad: " ", startingAt: 0)
      }.joined(separator: "  ").trimmingTrailingSpaces()
  }.joined(separator: "\n") + "\n"
}

private func numberOrNull(_ value: Double?) -> String {
  value.map(JSONValue.numberText) ?? "null"
}

/// A signed number to 4 significant digits, e.g. `+0.0123` or `-2e-05`.
func signedText(_ d: Double) -> String { String(format: "%+.4g", d) }
