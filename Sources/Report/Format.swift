// Locale-free number formatting, nice axis ticks, markup escaping and config labels shared by the
// figures, the HTML page and the claims table, so the same input always gives the same bytes.

import CanonicalJSON
import Foundation
import TrainingCore

/// `value` with exactly `decimals` digits after the point, by integer rounding (no locale, no
/// printf). Very large magnitudes fall back to scientific form.
func fixed(_ value: Double, _ decimals: Int) -> String {
  guard value.isFinite else { return "nan" }
  var scale = 1.0
  for _ in 0..<max(0, decimals) { scale *= 10 }
  guard abs(value * scale) < 9.0e15 else { return scientific(value) }
  let scaled = Int64((value * scale).rounded())
  let negative = scaled < 0
  let magnitude = negative ? -scaled : scaled
  var digits = String(magnitude)
  if decimals > 0 {
    if digits.count <= decimals {
      digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
    }
    digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
  }
  return (negative ? "-" : "") + digits
}

/// `value` as `m.mme±x` with up to `significant` digits, trailing zeros dropped.
func scientific(_ value: Double, significant: Int = 3) -> String {
  guard value.isFinite else { return "nan" }
  if value == 0 { return "0" }
  var exponent = Int(log10(abs(value)).rounded(.down))
  var mantissa = value / power10(exponent)
  if abs(mantissa) >= 9.999_999 {
    exponent += 1
    mantissa /= 10
  }
  var text = fixed(mantissa, max(0, significant - 1))
  if text.contains(".") {
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
  }
  return text + "e" + String(exponent)
}

/// A number with about four significant digits: fixed for ordinary magnitudes, scientific
/// otherwise, trailing zeros dropped.
func compact(_ value: Double) -> String {
  guard value.isFinite else { return "nan" }
  let a = abs(value)
  if a != 0 && (a < 1e-3 || a >= 1e6) { return scientific(value, significant: 4) }
  let exponent = a == 0 ? 0 : Int(log10(a).rounded(.down))
  var text = fixed(value, min(7, max(0, 3 - exponent)))
  // Only zeros after the point are trailing: 1000 stays 1000.
  if text.contains(".") {
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
  }
  return text == "-0" ? "0" : text
}

/// 10 to an integer power, computed by repeated multiplication so it is the same everywhere.
func power10(_ exponent: Int) -> Double {
  // A negative power is one division of an exact positive power, hence correctly rounded.
  var result = 1.0
  for _ in 0..<abs(exponent) { result *= 10 }
  return exponent >= 0 ? result : 1 / result
}

/// Axis ticks: the range they span and the tick values, with the decimals a label needs.
struct Ticks: Equatable {
  var low: Double
  var high: Double
  var values: [Double]
  /// Digits after the point in the labels; `nil` means scientific labels.
  var decimals: Int?
  var isLog: Bool

  func label(_ value: Double) -> String {
    if isLog { return scientific(value) }
    if let decimals { return fixed(value, decimals) }
    return scientific(value)
  }
}

/// Linear ticks at 1, 2 or 5 times a power of ten covering `low...high`, about `target` of them.
func linearTicks(low: Double, high: Double, target: Int = 5) -> Ticks {
  var lo = low
  var hi = high
  if !lo.isFinite || !hi.isFinite {
    lo = 0
    hi = 1
  }
  if hi < lo { swap(&lo, &hi) }
  if hi == lo {
    let pad = lo == 0 ? 1 : abs(lo) * 0.1
    lo -= pad
    hi += pad
  }
  let raw = (hi - lo) / Double(max(1, target))
  let exponent = Int(log10(raw).rounded(.down))
  let base = power10(exponent)
  let fraction = raw / base
  let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
  let step = nice * base
  let first = (lo / step).rounded(.down)
  let last = (hi / step).rounded(.up)
  var values: [Double] = []
  var i = first
  while i <= last && values.count < 50 {
    values.append(i * step)
    i += 1
  }
  let stepExponent = nice == 10 ? exponent + 1 : exponent
  let magnitude = max(abs(first * step), abs(last * step))
  let decimals: Int? = (magnitude >= 1e6 || stepExponent < -5) ? nil : max(0, -stepExponent)
  return Ticks(
    low: first * step, high: last * step, values: values, decimals: decimals, isLog: false)
}

/// Decade ticks for a log axis covering the positive range `low...high`.
func logTicks(low: Double, high: Double) -> Ticks {
  guard low > 0, high > 0, low.isFinite, high.isFinite else {
    return Ticks(low: 1e-3, high: 1, values: [1e-3, 1e-2, 1e-1, 1], decimals: nil, isLog: true)
  }
  var first = Int(log10(low).rounded(.down))
  var last = Int(log10(high).rounded(.up))
  // Guard against log10 landing a hair off an exact decade.
  if power10(first + 1) <= low { first += 1 }
  if power10(last - 1) >= high { last -= 1 }
  if last <= first { last = first + 1 }
  let stride = max(1, (last - first + 5) / 6)
  last = first + stride * ((last - first + stride - 1) / stride)
  var values: [Double] = []
  var e = first
  while e <= last {
    values.append(power10(e))
    e += stride
  }
  return Ticks(
    low: power10(first), high: power10(last), values: values, decimals: nil, isLog: true)
}

/// Text safe inside XML or HTML element content and attribute values.
func escapeMarkup(_ text: String) -> String {
  var out = ""
  for c in text {
    switch c {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(c)
    }
  }
  return out
}

/// The name a loss has in the paper and in legends.
func displayName(_ loss: Loss) -> String { loss.rawValue.uppercased() }

/// The fixed colour of a loss, the same in every figure.
func colour(_ loss: Loss) -> String {
  switch loss {
  case .cce: "#1f77b4"
  case .dice: "#ff7f0e"
  case .diceSquare: "#2ca02c"
  case .dicefg: "#d62728"
  case .dicefgSquare: "#9467bd"
  }
}

/// How an optimizer is written in titles.
func displayName(_ optimizer: OptimizerKind) -> String {
  switch optimizer {
  case .adam: "Adam"
  case .sgd: "SGD"
  }
}

/// The parameters other than loss, θ, optimizer, batch norm and seed, as (key, value text),
/// in a fixed order. Used to tell apart figures of sweeps that vary more than the paper's grid.
func extraParameters(_ c: TrainingConfig) -> [(key: String, value: String)] {
  [
    ("learning_rate", JSONValue.numberText(c.learningRate)),
    ("beta1", JSONValue.numberText(c.beta1)),
    ("beta2", JSONValue.numberText(c.beta2)),
    ("adam_epsilon", JSONValue.numberText(c.adamEpsilon)),
    ("iterations", String(c.iterations)),
    ("batch_size", String(c.batchSize)),
    ("image_size", String(c.imageSize)),
    ("eval_images", String(c.evalImages)),
    ("eval_every", String(c.evalEvery)),
    ("log_every", String(c.logEvery)),
    ("conv_layers", String(c.convLayers)),
    ("filters", String(c.filters)),
    ("track", c.track.map(\.rawValue).joined(separator: "+")),
  ]
}

/// The keys of `extraParameters` whose values differ between the given configs, in fixed order.
func varyingExtraKeys(_ configs: [TrainingConfig]) -> [String] {
  guard let first = configs.first else { return [] }
  let reference = extraParameters(first)
  var varying: [String] = []
  for (index, entry) in reference.enumerated() {
    if configs.contains(where: { extraParameters($0)[index].value != entry.value }) {
      varying.append(entry.key)
    }
  }
  return varying
}

/// "key=value" for each of `keys`, joined by ", ".
func extrasLabel(_ c: TrainingConfig, keys: [String]) -> String {
  extraParameters(c).filter { keys.contains($0.key) }.map { "\($0.key)=\($0.value)" }
    .joined(separator: ", ")
}

/// The figure title of a config: "5% foreground, Adam, batch norm off, seed 1[, extras]".
func figureTitle(_ c: TrainingConfig, extraKeys: [String]) -> String {
  var title =
    "\(foregroundPercent(theta: c.theta))% foreground, \(displayName(c.optimizer)), "
    + "batch norm \(c.batchNorm ? "on" : "off"), seed \(c.seed)"
  let extras = extrasLabel(c, keys: extraKeys)
  if !extras.isEmpty { title += ", " + extras }
  return title
}
