// The step-log format, written and read here only: one step record as one flat NDJSON line (the
// unit of the step logs and of their content hash), the file gzipped.

import CanonicalJSON
import TrainingCore

/// The NDJSON line of `record`: `{"step":…,"loss_<name>":…,"grad_<name>":…,"accuracy":…}` and a
/// newline. Keys come in this fixed order, losses and gradient norms in `track` order, and
/// `accuracy` only on eval steps. Numbers use CanonicalJSON's form: a `Float` as the shortest
/// decimal that round-trips it, integral values without a fraction (`1`, not `1.0`), and
/// non-finite values as `null`.
public func ndjsonLine(_ record: StepRecord, track: [Loss]) -> String {
  var line = "{\"step\":"
  line += String(record.step)
  for (i, loss) in track.enumerated() {
    line += ",\"loss_" + loss.rawValue + "\":"
    line += floatText(i < record.losses.count ? record.losses[i] : .nan)
  }
  for (i, loss) in track.enumerated() {
    line += ",\"grad_" + loss.rawValue + "\":"
    line += floatText(i < record.gradNorms.count ? record.gradNorms[i] : .nan)
  }
  if let accuracy = record.accuracy {
    line += ",\"accuracy\":" + JSONValue.numberText(accuracy)
  }
  line += "}\n"
  return line
}

/// The canonical text of a `Float`: its shortest round-trip decimal, or `null`.
func floatText(_ value: Float) -> String {
  if case .number(let d) = JSONValue(float: value) { return JSONValue.numberText(d) }
  return "null"
}

/// The step-log format beside its readers: `CellWriter`, `sweep train --out` and `sweep rerun`
/// encode with it, `sweep verify` and the done check read with it.
public enum StepLogCodec {
  /// The NDJSON bytes and the gzip file of `records`, exactly as a `CellWriter` streams them.
  public static func encode(records: [StepRecord], track: [Loss]) throws(ArtifactsError) -> (
    ndjson: [UInt8], gzip: [UInt8]
  ) {
    let writer = try GzipWriter()
    var ndjson: [UInt8] = []
    var compressed: [UInt8] = []
    for record in records {
      let line = Array(ndjsonLine(record, track: track).utf8)
      ndjson += line
      compressed += try writer.write(line)
    }
    compressed += try writer.finish()
    return (ndjson, compressed)
  }

  /// The lines of NDJSON bytes, without their newlines (the last is empty when the bytes end
  /// with one, as a whole log does).
  public static func lines(ofNDJSON bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
  }

  /// The status a step log shows: diverged at its last step when that record holds a null loss or
  /// gradient norm (a non-finite value), else ok; nil when it has no readable last line.
  static func runStatus(ofLines lines: [ArraySlice<UInt8>]) -> RunStatus? {
    guard let line = lines.last(where: { !$0.isEmpty }),
      let fields = (try? JSONValue(parsing: Array(line)))?.objectValue,
      let step = fields["step"]?.intValue
    else { return nil }
    let nonFinite = fields.contains { key, value in
      (key.hasPrefix("loss_") || key.hasPrefix("grad_")) && value.isNull
    }
    return nonFinite ? .diverged(step: step) : .ok
  }

  /// The step of the last line of a step log.
  static func lastStep(ofLines lines: [ArraySlice<UInt8>]) -> Int? {
    guard let line = lines.last(where: { !$0.isEmpty }) else { return nil }
    return (try? JSONValue(parsing: Array(line)))?["step"]?.intValue
  }

  /// The metrics of a step log's lines, read from the numbers as written (the tracked losses are
  /// the `loss_<name>` keys of the last line), or nil when a line does not parse.
  static func metrics(ofLines lines: [ArraySlice<UInt8>]) -> CellMetrics? {
    var metrics = CellMetrics()
    var last: [String: JSONValue]?
    let lastIndex = lines.lastIndex { !$0.isEmpty }
    for (index, line) in lines.enumerated() where !line.isEmpty {
      // Only eval lines and the last line hold metrics: skip parsing the others (a paper cell has
      // 10,001 lines and 41 eval steps). The content hash vouches for the bytes of every line.
      if index != lastIndex && !containsAccuracyKey(line) { continue }
      guard let fields = (try? JSONValue(parsing: Array(line)))?.objectValue,
        let step = fields["step"]?.intValue
      else { return nil }
      if let accuracy = fields["accuracy"] {
        metrics.finalAccuracy = accuracy.doubleValue
        metrics.finalAccuracyStep = step
        if let value = accuracy.doubleValue, value > metrics.bestAccuracy ?? -.infinity {
          metrics.bestAccuracy = value
          metrics.bestAccuracyStep = step
        }
      }
      last = fields
    }
    for (key, value) in last ?? [:] {
      if key.hasPrefix("loss_") {
        metrics.finalLosses.updateValue(value.doubleValue, forKey: String(key.dropFirst(5)))
      } else if key.hasPrefix("grad_") {
        metrics.finalGradNorms.updateValue(value.doubleValue, forKey: String(key.dropFirst(5)))
      }
    }
    return metrics
  }

  /// Whether an NDJSON line holds the `"accuracy":` key.
  private static func containsAccuracyKey(_ line: ArraySlice<UInt8>) -> Bool {
    let key = Array(#""accuracy":"#.utf8)
    guard line.count >= key.count else { return false }
    var i = line.startIndex
    let end = line.endIndex - key.count
    while i <= end {
      if line[i] == key[0] && line[i..<(i + key.count)].elementsEqual(key) { return true }
      i += 1
    }
    return false
  }
}
