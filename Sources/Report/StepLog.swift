// Reads the flat NDJSON step records of docs/FORMATS.md (already decompressed) into the columns
// a figure draws.

import CanonicalJSON
import TrainingCore

/// Parses NDJSON step records into a `CellSeries`. `path` is only used in error messages.
/// Unknown keys are ignored; a loss column missing from some lines reads as `nil` there.
func parseStepLog(_ bytes: [UInt8], path: String) throws(ReportError) -> CellSeries {
  var steps: [Int] = []
  var losses: [Loss: [Float?]] = [:]
  var grads: [Loss: [Float?]] = [:]
  var accuracy: [AccuracyPoint] = []
  var lineNumber = 0
  var start = 0
  while start < bytes.count {
    var end = start
    while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
    lineNumber += 1
    let line = bytes[start..<end]
    start = end + 1
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
    let value: JSONValue
    do {
      value = try JSONValue(parsing: Array(line))
    } catch {
      throw ReportError.badStepLog(path: path, line: lineNumber, reason: error.description)
    }
    guard let object = value.objectValue else {
      throw ReportError.badStepLog(path: path, line: lineNumber, reason: "not a JSON object")
    }
    guard let step = object["step"]?.intValue, step >= 0 else {
      throw ReportError.badStepLog(
        path: path, line: lineNumber, reason: "missing or invalid \"step\"")
    }
    let row = steps.count
    steps.append(step)
    for key in object.keys.sorted() {
      guard let field = object[key] else { continue }
      if key == "accuracy" {
        if let a = field.doubleValue { accuracy.append(AccuracyPoint(step: step, value: a)) }
        continue
      }
      let number: Float?
      switch field {
      case .null: number = nil
      case .number(let d): number = Float(d)
      default:
        throw ReportError.badStepLog(
          path: path, line: lineNumber, reason: "\"\(key)\" is not a number or null")
      }
      if key.hasPrefix("loss_"), let loss = Loss(rawValue: String(key.dropFirst(5))) {
        append(number, row: row, to: &losses, loss)
      } else if key.hasPrefix("grad_"), let loss = Loss(rawValue: String(key.dropFirst(5))) {
        append(number, row: row, to: &grads, loss)
      }
    }
  }
  // Pad columns that stopped early so every column is indexed like `steps`.
  losses = losses.mapValues { $0 + [Float?](repeating: nil, count: steps.count - $0.count) }
  grads = grads.mapValues { $0 + [Float?](repeating: nil, count: steps.count - $0.count) }
  return CellSeries(steps: steps, losses: losses, gradNorms: grads, accuracy: accuracy)
}

/// Stores `value` at `row` of a column, padding rows the column skipped with `nil`.
private func append(_ value: Float?, row: Int, to columns: inout [Loss: [Float?]], _ loss: Loss) {
  var column = columns[loss] ?? []
  if column.count < row {
    column.append(contentsOf: [Float?](repeating: nil, count: row - column.count))
  }
  column.append(value)
  columns[loss] = column
}
