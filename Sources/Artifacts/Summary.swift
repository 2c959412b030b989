// The summary of a sweep: one row per cell, and the paper's view — mean ± sd over seeds of the
// final accuracy, training loss by (θ, batch norm, optimizer) — as Markdown, CSV and plain text.

import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

/// Summary tables of a sweep manifest. Every number has a fixed format (accuracies to 4
/// decimals, losses to 4 significant digits in the tables; CSV keeps the manifest's exact
/// numbers), so the same manifest always gives the same text.
///
/// Config parameters other than loss, θ, batch norm, optimizer and seed that vary across the
/// cells (say a learning-rate axis) become extra columns of the cell table and part of the pivot's
/// column key, so cells that differ in them are never averaged together.
public struct Summary: Sendable {
  /// One cell as the tables show it.
  struct Row: Sendable {
    var id: String
    var loss: String
    var lossIndex: Int
    var theta: Double?
    var batchNorm: Bool?
    var optimizer: String
    var extras: [JSONValue]
    var seed: Int?
    var status: CellStatus
    var finalAccuracy: Double?
    var bestAccuracy: Double?
    var finalLoss: Double?
  }

  /// A pivot column: a combination of θ, batch norm, optimizer and the varying extras.
  struct Column: Sendable, Hashable {
    var theta: Double?
    var batchNorm: Bool?
    var optimizer: String
    var extras: [JSONValue]
  }

  /// Mean, sample sd (nil when n = 1) and count of final accuracies in a pivot cell.
  struct Stat: Sendable {
    var mean: Double
    var sd: Double?
    var n: Int
    var includesDiverged: Bool
  }

  let name: String
  let rows: [Row]
  /// Names of the varying parameters beyond the standard five, sorted.
  let extraKeys: [String]
  let columns: [Column]
  /// Loss names of the pivot rows, in canonical order, with the stats per column.
  let pivot: [(loss: String, stats: [Column: Stat])]
  let missing: [String]

  private static let standardKeys: Set<String> = [
    "loss", "theta", "batch_norm", "optimizer", "seed",
  ]

  /// The summary of the cells of `manifest`.
  public init(manifest: SweepManifest) {
    name = manifest.name
    missing = manifest.missing
    var keys = Set<String>()
    for entry in manifest.cells {
      if let members = entry.config.objectValue { keys.formUnion(members.keys) }
    }
    extraKeys = keys.subtracting(Summary.standardKeys).filter { key in
      Set(manifest.cells.map { $0.config[key] ?? .null }).count > 1
    }.sorted()
    let extraKeys = self.extraKeys
    rows = manifest.cells.map { entry in
      let loss = entry.config["loss"]?.stringValue ?? "?"
      return Row(
        id: entry.id, loss: loss, lossIndex: Loss(rawValue: loss)?.index ?? Int.max,
        theta: entry.config["theta"]?.doubleValue, batchNorm: entry.config["batch_norm"]?.boolValue,
        optimizer: entry.config["optimizer"]?.stringValue ?? "?",
        extras: extraKeys.map { entry.config[$0] ?? .null }, seed: entry.config["seed"]?.intValue,
        status: entry.status, finalAccuracy: entry.metrics.finalAccuracy,
        bestAccuracy: entry.metrics.bestAccuracy,
        finalLoss: entry.metrics.finalLosses[loss] ?? nil)
    }.sorted(by: Summary.rowOrder)

    var groups: [String: [Column: [Row]]] = [:]
    var columnSet = Set<Column>()
    for row in rows {
      let column = Column(
        theta: row.theta, batchNorm: row.batchNorm, optimizer: row.optimizer, extras: row.extras)
      columnSet.insert(column)
      groups[row.loss, default: [:]][column, default: []].append(row)
    }
    columns = columnSet.sorted(by: Summary.columnOrder)
    let losses = Set(rows.map(\.loss)).sorted {
      (Loss(rawValue: $0)?.index ?? Int.max, $0) < (Loss(rawValue: $1)?.index ?? Int.max, $1)
    }
    pivot = losses.map { loss in
      var stats: [Column: Stat] = [:]
      for (column, members) in groups[loss] ?? [:] {
        let values = members.compactMap(\.finalAccuracy)
        guard !values.isEmpty else { continue }
        stats[column] = Stat(
          mean: Summary.mean(values), sd: Summary.sampleSD(values), n: values.count,
          includesDiverged: members.contains { $0.status != .ok && $0.finalAccuracy != nil })
      }
      return (loss, stats)
    }
  }

  // MARK: Output

  /// The cell table and the pivot as GitHub-flavoured Markdown.
  public var markdown: String {
    var out = "# Sweep \(name)\n\n"
    out += "## Final accuracy: mean ± sd over seeds\n\n"
    out += pivotNote + "\n\n"
    out += render(pivotTable, markdown: true) + "\n"
    out += "## Cells\n\n"
    out += render(cellTable, markdown: true)
    if !missing.isEmpty { out += "\n" + missingNote + "\n" }
    return out
  }

  /// The cell table for the terminal: aligned plain-text columns, then the pivot.
  public var text: String {
    var out = "sweep \(name): \(rows.count) cell\(rows.count == 1 ? "" : "s")"
    out += missing.isEmpty ? "\n\n" : ", \(missing.count) missing\n\n"
    out += render(cellTable, markdown: false) + "\n"
    out += "final accuracy, mean ± sd over seeds\n" + pivotNote + "\n\n"
    out += render(pivotTable, markdown: false)
    return out
  }

  /// One row per cell with a header, RFC 4180 quoting and CRLF-free lines; numbers as in the
  /// manifest (exact), empty fields for absent values.
  public var csv: String {
    let header =
      ["id", "loss", "theta", "batch_norm", "optimizer"] + extraKeys + [
        "seed", "status", "final_accuracy", "best_accuracy", "final_loss",
      ]
    var out = header.map(csvField).joined(separator: ",") + "\n"
    for row in rows {
      var fields: [String] = [row.id, row.loss]
      fields.append(row.theta.map(JSONValue.numberText) ?? "")
      fields.append(row.batchNorm.map { $0 ? "true" : "false" } ?? "")
      fields.append(row.optimizer)
      fields += row.extras.map(plainText)
      fields.append(row.seed.map(String.init) ?? "")
      fields.append(row.status.rawValue)
      fields.append(row.finalAccuracy.map(JSONValue.numberText) ?? "")
      fields.append(row.bestAccuracy.map(JSONValue.numberText) ?? "")
      fields.append(row.finalLoss.map(JSONValue.numberText) ?? "")
      out += fields.map(csvField).joined(separator: ",") + "\n"
    }
    return out
  }

  // MARK: Tables

  struct Table {
    var header: [String]
    /// Whether each column holds numbers (right-aligned).
    var numeric: [Bool]
    var rows: [[String]]
  }

  var cellTable: Table {
    let header =
      ["id", "loss", "theta", "batch_norm", "optimizer"] + extraKeys + [
        "seed", "status", "final_acc", "best_acc", "final_loss",
      ]
    let numeric =
      [false, false, true, false, false] + extraKeys.map { _ in false } + [
        true, false, true, true, true,
      ]
    let rows = self.rows.map { (row) -> [String] in
      var fields: [String] = [shortHex(row.id), row.loss]
      fields.append(row.theta.map(JSONValue.numberText) ?? "—")
      fields.append(row.batchNorm.map { $0 ? "true" : "false" } ?? "—")
      fields.append(row.optimizer)
      fields += row.extras.map(plainText)
      fields.append(row.seed.map(String.init) ?? "—")
      fields.append(row.status.rawValue)
      fields.append(accuracyText(row.finalAccuracy))
      fields.append(accuracyText(row.bestAccuracy))
      fields.append(lossText(row.finalLoss))
      return fields
    }
    return Table(header: header, numeric: numeric, rows: rows)
  }

  var pivotTable: Table {
    let uniform = Set(pivot.flatMap { $0.stats.values.map(\.n) }).count <= 1
    let header = ["loss"] + columns.map(columnLabel)
    let rows = pivot.map { line in
      [line.loss]
        + columns.map { column in
          guard let stat = line.stats[column] else { return "" }
          var text = String(format: "%.4f", stat.mean) + " ± "
          text += stat.sd.map { String(format: "%.4f", $0) } ?? "—"
          if !uniform { text += " (n=\(stat.n))" }
          if stat.includesDiverged { text += " *" }
          return text
        }
    }
    return Table(header: header, numeric: [false] + columns.map { _ in true }, rows: rows)
  }

  var pivotNote: String {
    let counts = Set(pivot.flatMap { $0.stats.values.map(\.n) })
    var note = "Sample sd (n − 1); — when a group has one seed."
    if counts.count == 1, let n = counts.first {
      note += " n = \(n) seed\(n == 1 ? "" : "s") per group."
    }
    if pivot.contains(where: { $0.stats.values.contains(where: \.includesDiverged) }) {
      note += " * includes diverged cells (their last recorded accuracy)."
    }
    return note
  }

  var missingNote: String {
    "\(missing.count) planned cell\(missing.count == 1 ? "" : "s") without valid artifacts: "
      + missing.map { shortHex($0) }.joined(separator: ", ")
  }

  func columnLabel(_ column: Column) -> String {
    var parts = [
      "θ=" + (column.theta.map(JSONValue.numberText) ?? "—"),
      column.batchNorm.map { $0 ? "bn" : "no bn" } ?? "bn=—", column.optimizer,
    ]
    for (key, value) in zip(extraKeys, column.extras) { parts.append("\(key)=\(plainText(value))") }
    return parts.joined(separator: " ")
  }

  func render(_ table: Table, markdown: Bool) -> String {
    var table = table
    if markdown {
      table.header = table.header.map(escapeMarkdown)
      table.rows = table.rows.map { $0.map(escapeMarkdown) }
    }
    var widths = table.header.map(\.count)
    for row in table.rows {
      for (i, field) in row.enumerated() { widths[i] = max(widths[i], field.count) }
    }
    func pad(_ field: String, _ i: Int) -> String {
      let fill = String(repeating: " ", count: widths[i] - field.count)
      return table.numeric[i] ? fill + field : field + fill
    }
    func line(_ fields: [String]) -> String {
      let padded = fields.enumerated().map { pad($1, $0) }
      return markdown
        ? "| " + padded.joined(separator: " | ") + " |\n" : padded.joined(separator: "  ") + "\n"
    }
    var out = line(table.header)
    if markdown {
      let rule = widths.enumerated().map { i, w in
        table.numeric[i]
          ? String(repeating: "-", count: max(w - 1, 2)) + ":"
          : String(repeating: "-", count: max(w, 3))
      }
      out += "| " + rule.joined(separator: " | ") + " |\n"
    }
    for row in table.rows { out += line(row) }
    return out
  }

  // MARK: Helpers

  static func rowOrder(_ a: Row, _ b: Row) -> Bool {
    if a.lossIndex != b.lossIndex { return a.lossIndex < b.lossIndex }
    if a.loss != b.loss { return a.loss < b.loss }
    let ca = Column(
      theta: a.theta, batchNorm: a.batchNorm, optimizer: a.optimizer, extras: a.extras)
    let cb = Column(
      theta: b.theta, batchNorm: b.batchNorm, optimizer: b.optimizer, extras: b.extras)
    if ca != cb { return columnOrder(ca, cb) }
    if a.seed != b.seed { return (a.seed ?? -1) < (b.seed ?? -1) }
    return a.id < b.id
  }

  static func columnOrder(_ a: Column, _ b: Column) -> Bool {
    if a.theta != b.theta { return (a.theta ?? -1) < (b.theta ?? -1) }
    if a.batchNorm != b.batchNorm {
      return (a.batchNorm == true ? 1 : 0) < (b.batchNorm == true ? 1 : 0)
    }
    if a.optimizer != b.optimizer { return a.optimizer < b.optimizer }
    for (x, y) in zip(a.extras, b.extras) where x != y {
      if let dx = x.doubleValue, let dy = y.doubleValue { return dx < dy }
      return x.canonicalText < y.canonicalText
    }
    return false
  }

  static func mean(_ values: [Double]) -> Double {
    values.reduce(0, +) / Double(values.count)
  }

  /// Sample standard deviation (n − 1 in the denominator); nil for fewer than two values.
  static func sampleSD(_ values: [Double]) -> Double? {
    guard values.count > 1 else { return nil }
    let m = mean(values)
    let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
    return (squares / Double(values.count - 1)).squareRoot()
  }
}

/// Accuracy to 4 decimals, "—" when absent.
private func accuracyText(_ value: Double?) -> String {
  value.map { String(format: "%.4f", $0) } ?? "—"
}

/// A loss value to 4 significant digits, "—" when absent or non-finite.
private func lossText(_ value: Double?) -> String {
  value.map { String(format: "%.4g", $0) } ?? "—"
}

/// A config value as people read it: strings bare, everything else as canonical JSON.
private func plainText(_ value: JSONValue) -> String {
  value.stringValue ?? value.canonicalText
}

/// A CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
private func csvField(_ field: String) -> String {
  guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
    return field
  }
  return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Escapes the characters that would break a Markdown table cell.
private func escapeMarkdown(_ field: String) -> String {
  field.replacingOccurrences(of: "|", with: "\\|")
}
