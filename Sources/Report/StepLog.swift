// Reads the flat NDJSON step records of docs/FORMATS.md (already decompressed) into the columns
// a figure draws. Lines as SegSweep writes them are scanned directly; any other line goes
// through the general JSON parser, so both read the same values and fail with the same errors.

import CanonicalJSON
import TrainingCore

/// Parses NDJSON step records into a `CellSeries`. `path` is only used in error messages.
/// Unknown keys are ignored; a loss column missing from some lines reads as `nil` there.
func parseStepLog(_ bytes: [UInt8], path: String) throws(ReportError) -> CellSeries {
  var columns = StepColumns()
  var lineNumber = 0
  var start = 0
  while start < bytes.count {
    var end = start
    while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
    lineNumber += 1
    let line = bytes[start..<end]
    start = end + 1
    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
    if let record = scanFlatRecord(line) {
      columns.append(record)
    } else {
      columns.append(try parseGeneralRecord(line, path: path, lineNumber: lineNumber))
    }
  }
  return columns.series
}

/// One record's values: the step, the accuracy if any, and each loss and gradient norm present
/// (`.some(nil)` for a JSON null).
struct StepValues {
  var step: Int
  var accuracy: Double?
  var losses: [Float??] = [Float??](repeating: nil, count: Loss.allCases.count)
  var grads: [Float??] = [Float??](repeating: nil, count: Loss.allCases.count)
}

/// The columns being built. A loss column starts at the first line that has the key; rows
/// without it read as nil, so every column ends up indexed like `steps`.
private struct StepColumns {
  var steps: [Int] = []
  var losses: [[Float?]?] = [[Float?]?](repeating: nil, count: Loss.allCases.count)
  var grads: [[Float?]?] = [[Float?]?](repeating: nil, count: Loss.allCases.count)
  var accuracy: [AccuracyPoint] = []

  mutating func append(_ record: StepValues) {
    let row = steps.count
    steps.append(record.step)
    if let value = record.accuracy {
      accuracy.append(AccuracyPoint(step: record.step, value: value))
    }
    StepColumns.add(record.losses, row: row, to: &losses)
    StepColumns.add(record.grads, row: row, to: &grads)
  }

  private static func add(_ values: [Float??], row: Int, to columns: inout [[Float?]?]) {
    for index in columns.indices {
      if let value = values[index] {
        if columns[index] == nil { columns[index] = [Float?](repeating: nil, count: row) }
        columns[index]?.append(value)
      } else if columns[index] != nil {
        columns[index]?.append(nil)
      }
    }
  }

  var series: CellSeries {
    var lossColumns: [Loss: [Float?]] = [:]
    var gradColumns: [Loss: [Float?]] = [:]
    for loss in Loss.allCases {
      if let column = losses[loss.index] { lossColumns[loss] = column }
      if let column = grads[loss.index] { gradColumns[loss] = column }
    }
    return CellSeries(
      steps: steps, losses: lossColumns, gradNorms: gradColumns, accuracy: accuracy)
  }
}

/// The general path: any JSON object line, with the errors of docs/FORMATS.md's reader.
private func parseGeneralRecord(_ line: ArraySlice<UInt8>, path: String, lineNumber: Int)
  throws(ReportError) -> StepValues
{
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
  var record = StepValues(step: step)
  for key in object.keys.sorted() {
    guard let field = object[key] else { continue }
    if key == "accuracy" {
      record.accuracy = field.doubleValue
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
      record.losses[loss.index] = .some(number)
    } else if key.hasPrefix("grad_"), let loss = Loss(rawValue: String(key.dropFirst(5))) {
      record.grads[loss.index] = .some(number)
    }
  }
  return record
}

/// What a record key feeds.
private enum StepKey {
  case step, accuracy
  case loss(Int)
  case grad(Int)
}

/// The keys SegSweep writes, as bytes.
private let knownKeys: [([UInt8], StepKey)] = {
  var keys: [([UInt8], StepKey)] = [
    (Array("step".utf8), .step), (Array("accuracy".utf8), .accuracy),
  ]
  for loss in Loss.allCases {
    keys.append((Array("loss_\(loss.rawValue)".utf8), .loss(loss.index)))
    keys.append((Array("grad_\(loss.rawValue)".utf8), .grad(loss.index)))
  }
  return keys
}()

/// Reads a line of the exact shape SegSweep writes: `{"key":value,...}` with no spaces, keys
/// without escapes, each known key at most once, values numbers or `null`, and a non-negative
/// integer `step`. Nil for anything else (unknown keys, other values, duplicates), which the
/// general parser then reads or rejects, so the two paths never disagree.
func scanFlatRecord(_ line: ArraySlice<UInt8>) -> StepValues? {
  var index = line.startIndex
  let end = line.endIndex
  guard index < end, line[index] == UInt8(ascii: "{") else { return nil }
  index += 1
  var record = StepValues(step: -1)
  var seenStep = false
  var seenAccuracy = false
  while true {
    guard index < end, line[index] == UInt8(ascii: "\"") else { return nil }
    index += 1
    let keyStart = index
    while index < end && line[index] != UInt8(ascii: "\"") {
      if line[index] == UInt8(ascii: "\\") { return nil }
      index += 1
    }
    guard index < end else { return nil }
    let key = line[keyStart..<index]
    index += 1
    guard index < end, line[index] == UInt8(ascii: ":") else { return nil }
    index += 1
    guard let kind = knownKeys.first(where: { $0.0.elementsEqual(key) })?.1 else { return nil }
    // The value: null or a number, scanned as the general parser scans numbers.
    let value: Double?
    if line[index...].starts(with: [0x6E, 0x75, 0x6C, 0x6C]) {  // null
      value = nil
      index += 4
    } else {
      let numberStart = index
      var digits = 0
      while index < end {
        let b = line[index]
        if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
          digits += 1
        } else if b != UInt8(ascii: ".") && b != UInt8(ascii: "e") && b != UInt8(ascii: "E")
          && b != UInt8(ascii: "+") && b != UInt8(ascii: "-")
        {
          break
        }
        index += 1
      }
      guard digits > 0, let d = Double(String(decoding: line[numberStart..<index], as: UTF8.self)),
        d.isFinite
      else { return nil }
      value = d
    }
    switch kind {
    case .step:
      guard !seenStep, let v = value, v.rounded() == v, v >= 0, v < 9.0e15 else { return nil }
      seenStep = true
      record.step = Int(v)
    case .accuracy:
      guard !seenAccuracy else { return nil }
      seenAccuracy = true
      record.accuracy = value
    case .loss(let i):
      guard record.losses[i] == nil else { return nil }
      record.losses[i] = .some(value.map { Float($0) })
    case .grad(let i):
      guard record.grads[i] == nil else { return nil }
      record.grads[i] = .some(value.map { Float($0) })
    }
    guard index < end else { return nil }
    if line[index] == UInt8(ascii: ",") {
      index += 1
      continue
    }
    guard line[index] == UInt8(ascii: "}"), index + 1 == end, seenStep else { return nil }
    return record
  }
}
