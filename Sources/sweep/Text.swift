// Plain-text tables for `sweep plan` and `sweep status`.
import Artifacts
import CanonicalJSON
import Foundation
import Orchestrator
import SweepSpec

/// Parameters whose values differ between the cells, in registry order. Only parameters a
/// sweep's axes, include entries or seeds set can vary; the others hold their fixed value or
/// default in every cell, so `sweep` narrows `among` to those.
func varyingParameters(_ cells: [Cell], among names: Set<String>? = nil) -> [String] {
  Parameters.names.filter { name in
    if let names, !names.contains(name) { return false }
    guard let first = cells.first.flatMap({ Parameters.value(of: name, in: $0.config) }) else {
      return false
    }
    return cells.contains { Parameters.value(of: name, in: $0.config) != first }
  }
}

/// Left-aligned columns separated by two spaces.
func alignedTable(_ rows: [[String]]) -> String {
  guard let first = rows.first else { return "" }
  var widths = [Int](repeating: 0, count: first.count)
  // Widths in characters; for ASCII cells (nearly all) that is the byte count.
  let counts = rows.map { row in
    row.map { cell in cell.utf8.allSatisfy { $0 < 0x80 } ? cell.utf8.count : cell.count }
  }
  for row in counts { for (i, count) in row.enumerated() { widths[i] = max(widths[i], count) } }
  var bytes: [UInt8] = []
  bytes.reserveCapacity(rows.count * (widths.reduce(0, +) + 2 * widths.count))
  for (r, row) in rows.enumerated() {
    if r > 0 { bytes.append(UInt8(ascii: "\n")) }
    for (i, cell) in row.enumerated() {
      if i > 0 {
        bytes.append(UInt8(ascii: " "))
        bytes.append(UInt8(ascii: " "))
      }
      bytes.append(contentsOf: cell.utf8)
      if i < row.count - 1, counts[r][i] < widths[i] {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: widths[i] - counts[r][i]))
      }
    }
  }
  return String(decoding: bytes, as: UTF8.self)
}

func valueText(_ value: JSONValue?) -> String {
  switch value {
  case .string(let s): s
  case .array(let items): "[" + items.map { valueText($0) }.joined(separator: ",") + "]"
  case .number(let d): JSONValue.numberText(d)
  case .some(let v): v.canonicalText
  case .none: ""
  }
}

func planText(_ plan: Orchestrator.Plan, sweep: Sweep) -> String {
  let varying = varyingParameters(
    sweep.cells,
    among: Set(sweep.axes.map(\.name) + sweep.includes.flatMap { $0.map(\.name) } + ["seed"]))
  var rows = [["id"] + varying + ["GFLOP", "state", "worker"]]
  rows.reserveCapacity(plan.cells.count + 1)
  // Cells of one config but for the seed cost the same: format each cost once.
  var gigaflops: [Double: String] = [:]
  let readers = varying.compactMap { Parameters.reader(of: $0) }
  for planned in plan.cells {
    let cost = gigaflops[planned.cost] ?? String(format: "%.1f", planned.cost / 1e9)
    gigaflops[planned.cost] = cost
    var row = [planned.cell.id.short]
    row.reserveCapacity(varying.count + 4)
    for read in readers { row.append(valueText(read(planned.cell.config))) }
    row.append(cost)
    row.append(planned.done ? "done" : "pending")
    row.append(planned.slot.map { String($0) } ?? "-")
    rows.append(row)
  }
  let pending = plan.cells.count { !$0.done }
  let scope = plan.shard.map { ", shard \($0)" } ?? ""
  var text = "sweep \(sweep.name): \(sweep.cells.count) cells\(scope); "
  text += "\(plan.cells.count - pending) done, \(pending) to run\n"
  text += alignedTable(rows) + "\n\n"
  let loads = plan.slotLoads
  let total = loads.reduce(0, +)
  text += "assignment, longest first, on \(plan.jobs) worker\(plan.jobs == 1 ? "" : "s"):\n"
  var counts = [Int](repeating: 0, count: loads.count)
  for planned in plan.cells { if let slot = planned.slot { counts[slot] += 1 } }
  for (slot, load) in loads.enumerated() {
    let count = counts[slot]
    let share = total > 0 ? load / total * 100 : 0
    text += String(
      format: "  worker %d: %d cells, %.1f GFLOP (%.0f%%)\n", slot, count, load / 1e9, share)
  }
  return text
}

func statusText(_ status: SweepStatus, sweepPath: String, overrides: [String], shards: Int?)
  -> String
{
  let total = status.states.count
  var text = "sweep \(status.sweep.name) in \(status.sweepDirectory): \(total) cells\n"
  for state in CellState.allCases {
    text += "  \(state.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))"
    text += "\(status.count(state))\n"
  }
  if let shards, shards > 0 {
    var rows = [["shard"] + CellState.allCases.map(\.rawValue)]
    for part in 0..<shards {
      let counts = status.counts(shard: part, of: shards)
      rows.append(["\(part)/\(shards)"] + CellState.allCases.map { String(counts[$0] ?? 0) })
    }
    text += "\n" + alignedTable(rows) + "\n"
  }
  let notDone = status.states.filter { $0.state != .done }
  if !notDone.isEmpty {
    text += "\nnot done:\n"
    for (cell, state) in notDone.prefix(50) {
      var line = "  \(cell.id.short)  \(state.rawValue)"
      if state == .failed,
        let why = FailureMarker.message(cell.id, in: SweepDirectory(status.sweepDirectory))
      {
        line += ": \(why)"
      }
      text += line + "\n"
    }
    if notDone.count > 50 { text += "  … and \(notDone.count - 50) more\n" }
    let root = (status.sweepDirectory as NSString).deletingLastPathComponent
    let sets = overrides.map { " --set \(shellQuote($0))" }.joined()
    text += "\nto run exactly the cells not done (done cells are skipped):\n"
    text +=
      "  sweep run \(shellQuote(sweepPath)) --results \(shellQuote(root.isEmpty ? "." : root))\(sets)\n"
  } else {
    text += "\nall cells done.\n"
  }
  text += attemptLedgerText(
    in: SweepDirectory(status.sweepDirectory), cells: status.states.map(\.cell.id))
  return text
}

/// Quotes a word for a POSIX shell when it needs it.
func shellQuote(_ word: String) -> String {
  let safe = CharacterSet(
    charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
  if !word.isEmpty && word.unicodeScalars.allSatisfy({ safe.contains($0) }) { return word }
  return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
