// How far two numbers may be apart and still count as the same, for `sweep diff`: numpy.isclose's
// rule |a − b| ≤ atol + rtol·|b|, with one global pair and optional pairs per metric or log key.

import CanonicalJSON
import TrainingCore

/// Absolute and relative tolerances, global and per metric (or per step-log key).
///
/// Two finite numbers `a` (side A) and `b` (side B) are the same when
/// `|a − b| ≤ atol + rtol·|b|`, as `numpy.isclose(a, b)` has it; equal values (infinities too)
/// are always the same, and a number against null never is. A per-metric bound names a metric
/// (`final_accuracy`, `final_losses.cce`), a group of them (`final_losses`), or a step-log key
/// (`accuracy`, `loss_cce`); the most specific name wins, and a per-metric bound that sets only
/// one of atol and rtol takes the other from the global pair.
public struct Tolerance: Sendable, Equatable {
  public var atol: Double
  public var rtol: Double
  /// Per-name overrides of atol.
  public var atolByName: [String: Double]
  /// Per-name overrides of rtol.
  public var rtolByName: [String: Double]

  public init(
    atol: Double = 0, rtol: Double = 0, atolByName: [String: Double] = [:],
    rtolByName: [String: Double] = [:]
  ) {
    self.atol = atol
    self.rtol = rtol
    self.atolByName = atolByName
    self.rtolByName = rtolByName
  }

  /// Exact comparison.
  public static let exact = Tolerance()

  /// Whether every bound is zero, so only identical numbers match.
  public var isExact: Bool {
    atol == 0 && rtol == 0 && atolByName.values.allSatisfy { $0 == 0 }
      && rtolByName.values.allSatisfy { $0 == 0 }
  }

  /// The (atol, rtol) that apply to `name`: its own, then its group's (`final_losses` for
  /// `final_losses.cce`), then the global ones.
  public func bounds(for name: String) -> (atol: Double, rtol: Double) {
    let group = name.split(separator: ".").first.map(String.init) ?? name
    return (
      atolByName[name] ?? atolByName[group] ?? atol, rtolByName[name] ?? rtolByName[group] ?? rtol
    )
  }

  /// Whether `a` and `b` count as the same value of `name`.
  public func isClose(_ a: Double?, _ b: Double?, name: String) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?):
      if x == y { return true }
      let (atol, rtol) = bounds(for: name)
      return abs(x - y) <= atol + rtol * abs(y)
    default: return false
    }
  }

  /// The names a per-metric bound may use: the manifest metrics `sweep diff` compares, their
  /// groups, and the keys of a step-log record.
  public static let knownNames: [String] = {
    var names = ["final_accuracy", "best_accuracy", "final_losses", "accuracy"]
    for loss in Loss.allCases {
      names += ["final_losses.\(loss.rawValue)", "loss_\(loss.rawValue)", "grad_\(loss.rawValue)"]
    }
    return names
  }()

  /// Reads `--atol`, `--rtol` and `--tolerance` values: each either a number (the global bound)
  /// or `name=number` (the bound of one metric). `--tolerance` is another spelling of `--atol`.
  /// Throws a message naming the flag and the value.
  public static func parse(atol: [String], rtol: [String], tolerance: [String])
    throws(ArtifactsError) -> Tolerance
  {
    var result = Tolerance()
    func read(_ values: [String], flag: String, relative: Bool) throws(ArtifactsError) {
      for value in values {
        let name: String?
        let numberText: Substring
        if let equals = value.firstIndex(of: "=") {
          name = String(value[..<equals])
          numberText = value[value.index(after: equals)...]
        } else {
          name = nil
          numberText = Substring(value)
        }
        guard let number = Double(numberText), number.isFinite, number >= 0 else {
          throw .badOption(
            flag: flag, value: value,
            reason: "expected a number >= 0" + (name == nil ? " or name=number" : ""))
        }
        guard let name else {
          if relative { result.rtol = number } else { result.atol = number }
          continue
        }
        guard knownNames.contains(name) else {
          let hint =
            closestName(to: name).map { "did you mean '\($0)'?" }
            ?? "known: " + knownNames.joined(separator: ", ")
          throw .badOption(flag: flag, value: value, reason: "unknown metric '\(name)'; \(hint)")
        }
        if relative { result.rtolByName[name] = number } else { result.atolByName[name] = number }
      }
    }
    try read(tolerance, flag: "--tolerance", relative: false)
    try read(atol, flag: "--atol", relative: false)
    try read(rtol, flag: "--rtol", relative: true)
    return result
  }

  /// The name among `knownNames` with the longest common prefix with `name`, if it shares at
  /// least four characters (`final_acc` → `final_accuracy`).
  static func closestName(to name: String) -> String? {
    let scored = knownNames.map { candidate in
      (candidate, zip(candidate, name).prefix { $0 == $1 }.count)
    }
    guard let best = scored.max(by: { $0.1 < $1.1 }), best.1 >= 4 else { return nil }
    return best.0
  }

  /// A short description, e.g. `atol 0.001, rtol 0; final_accuracy atol 0.01`.
  public var description: String {
    var text = "atol \(JSONValue.numberText(atol)), rtol \(JSONValue.numberText(rtol))"
    let names = Set(atolByName.keys).union(rtolByName.keys).sorted()
    for name in names {
      var parts: [String] = []
      if let a = atolByName[name] { parts.append("atol \(JSONValue.numberText(a))") }
      if let r = rtolByName[name] { parts.append("rtol \(JSONValue.numberText(r))") }
      text += "; \(name) " + parts.joined(separator: ", ")
    }
    return text
  }

  /// The tolerance as JSON, for `--json` output.
  public var json: JSONValue {
    .object([
      "atol": JSONValue(double: atol), "rtol": JSONValue(double: rtol),
      "atol_by_name": .object(atolByName.mapValues { JSONValue(double: $0) }),
      "rtol_by_name": .object(rtolByName.mapValues { JSONValue(double: $0) }),
    ])
  }
}
