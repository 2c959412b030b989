// Compares two uncompressed step logs record by record, for `sweep rerun`: identical, or the first
// differing record and field and how many records differ.

import CanonicalJSON
import TrainingCore

/// The outcome of comparing a stored step log with a recomputed one.
public struct RecordComparison: Sendable, Equatable, CustomStringConvertible {
  /// The first field that differs, in the step order of the logs and the key order of a line.
  public struct Difference: Sendable, Equatable {
    /// The step of the first differing record.
    public var step: Int
    /// The first differing key, or `(record)` when the record exists in one log only or does
    /// not parse.
    public var field: String
    /// The value's text in each log; `(absent)` when missing there.
    public var stored: String
    public var recomputed: String
  }

  /// Records (lines) in each log.
  public var storedRecords: Int
  public var recomputedRecords: Int
  /// Records that differ, counting records present in one log only.
  public var differingRecords: Int
  /// The first difference; nil when the logs are identical.
  public var first: Difference?

  /// Whether the two logs are byte for byte the same.
  public var identical: Bool { first == nil && differingRecords == 0 }

  public var description: String {
    guard let first else { return "identical: \(storedRecords) records" }
    return """
      \(differingRecords) of \(max(storedRecords, recomputedRecords)) records differ \
      (stored \(storedRecords), recomputed \(recomputedRecords))
      first difference at step \(first.step), field \(first.field): \
      stored \(first.stored), recomputed \(first.recomputed)
      """
  }
}

/// Compares two uncompressed NDJSON step logs. Records are matched by their `step`; a record in
/// only one log counts as differing.
public func compareRecordStreams(stored: [UInt8], recomputed: [UInt8]) -> RecordComparison {
  let a = indexRecords(stored)
  let b = indexRecords(recomputed)
  var comparison = RecordComparison(
    storedRecords: a.count, recomputedRecords: b.count, differingRecords: 0, first: nil)
  let keys = Set(a.keys).union(b.keys).sorted()
  for key in keys {
    let left = a[key]
    let right = b[key]
    if let left, let right, left.text == right.text { continue }
    comparison.differingRecords += 1
    if comparison.first == nil {
      comparison.first = firstDifference(step: key.step, left, right)
    }
  }
  if comparison.differingRecords == 0 && stored != recomputed {
    // Same records, different bytes (e.g. a missing final newline or a reordered line).
    comparison.differingRecords = 1
    comparison.first = RecordComparison.Difference(
      step: -1, field: "(bytes)", stored: "\(stored.count) bytes",
      recomputed: "\(recomputed.count) bytes")
  }
  return comparison
}

/// A line's position key: its step when it parses, otherwise after every step by line number.
private struct RecordKey: Hashable, Comparable {
  var step: Int
  var line: Int
  static func < (a: RecordKey, b: RecordKey) -> Bool { (a.step, a.line) < (b.step, b.line) }
}

private struct IndexedRecord {
  var text: Substring
  /// The parsed object; only needed for the first differing record.
  var fields: [String: JSONValue]? { (try? JSONValue(parsing: String(text)))?.objectValue }
}

private func indexRecords(_ bytes: [UInt8]) -> [RecordKey: IndexedRecord] {
  let text = String(decoding: bytes, as: UTF8.self)
  var out: [RecordKey: IndexedRecord] = [:]
  for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
    let key: RecordKey
    if let step = leadingStep(line), out[RecordKey(step: step, line: 0)] == nil {
      key = RecordKey(step: step, line: 0)
    } else {
      key = RecordKey(step: Int.max, line: number)
    }
    out[key] = IndexedRecord(text: line)
  }
  return out
}

/// The step of a line that starts `{"step":<digits>,` as step-log lines do; nil otherwise.
private func leadingStep(_ line: Substring) -> Int? {
  let prefix = "{\"step\":"
  guard line.hasPrefix(prefix) else { return nil }
  let digits = line.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
  guard !digits.isEmpty, line.dropFirst(prefix.count + digits.count).first == "," else {
    return nil
  }
  return Int(digits)
}

private func firstDifference(step: Int, _ a: IndexedRecord?, _ b: IndexedRecord?)
  -> RecordComparison.Difference
{
  let shownStep = step == Int.max ? -1 : step
  guard let a, let b, let left = a.fields, let right = b.fields else {
    return RecordComparison.Difference(
      step: shownStep, field: "(record)", stored: a.map { String($0.text) } ?? "(absent)",
      recomputed: b.map { String($0.text) } ?? "(absent)")
  }
  let keys = Set(left.keys).union(right.keys).sorted { fieldRank($0) < fieldRank($1) }
  for key in keys where left[key] != right[key] {
    return RecordComparison.Difference(
      step: shownStep, field: key, stored: left[key]?.canonicalText ?? "(absent)",
      recomputed: right[key]?.canonicalText ?? "(absent)")
  }
  return RecordComparison.Difference(
    step: shownStep, field: "(text)", stored: String(a.text), recomputed: String(b.text))
}

/// Orders keys as an NDJSON line writes them: step, losses, gradient norms, accuracy, others.
private func fieldRank(_ key: String) -> (Int, Int, String) {
  func lossIndex(_ name: Substring) -> Int { Loss(rawValue: String(name))?.index ?? Int.max }
  if key == "step" { return (0, 0, key) }
  if key.hasPrefix("loss_") { return (1, lossIndex(key.dropFirst(5)), key) }
  if key.hasPrefix("grad_") { return (2, lossIndex(key.dropFirst(5)), key) }
  if key == "accuracy" { return (3, 0, key) }
  return (4, 0, key)
}
