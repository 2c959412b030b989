// One step record as one flat NDJSON line, the unit of the step logs and of their content hash.

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
