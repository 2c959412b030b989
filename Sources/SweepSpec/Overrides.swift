// `--set key=value` overrides on a sweep: replace or add fixed values and axes, the seeds, the
// name. Errors point at the argument, not at a line of the file.

extension SweepDraft {
  /// Applies one `key=value` override: a list value sets or replaces the axis `key` (for `track`,
  /// a list of lists); a single value replaces an existing axis by that one value, or else sets
  /// the fixed value; `seeds`, `name` and `description` set those.
  mutating func apply(override text: String) throws(SweepSpecError) {
    let written = text.prefix { $0 != "=" }.trimmingSpaces
    if ["grid", "fixed", "include", "exclude"].contains(written) {
      throw .invalid(
        SourceLocation(origin: .argument("--set \(text)"), line: 1, column: 1),
        message: "\(written) can't be set with --set; set parameters one by one, e.g. "
          + "--set theta=[0.5] or --set iterations=200")
    }
    let (key, value) = try Parameters.assignment(text)
    let here = value.location
    switch key {
    case "name":
      name = Located(value: try Self.string(value, what: "name"), location: here)
      return
    case "description":
      description = try Self.string(value, what: "description")
      return
    case "seeds":
      seeds = Located(value: try Self.seeds(value), location: here)
      return
    case "seed":
      throw .invalid(here, message: "seed is set by seeds: use --set seeds=3 or --set seeds=[1,7]")
    default:
      break
    }
    guard Parameters.names.contains(key) else {
      throw .invalid(
        here,
        message: "unknown parameter '\(excerpt(key))'"
          + Suggestions.hint(
            for: key,
            in: Parameters.names.filter { $0 != "seed" } + ["name", "description", "seeds"]))
    }
    let setsAxis: Bool
    if key == "track" {
      setsAxis =
        value.sequence?.contains { $0.sequence != nil || $0.scalar?.text == "all" } ?? false
    } else {
      setsAxis = value.sequence != nil
    }
    let axisIndex = axes.firstIndex { $0.name == key }
    if setsAxis {
      let axis = try Self.axis(named: key, key: here, values: value)
      fixed.removeAll { $0.name == key }
      if let axisIndex {
        axes[axisIndex] = axis
      } else {
        axes.append(axis)
      }
      return
    }
    let setting = try Self.setting(key, key: here, value: value, in: "--set")
    if let axisIndex {
      axes[axisIndex] = DraftAxis(name: key, values: [setting.value], location: here)
    } else if let fixedIndex = fixed.firstIndex(where: { $0.name == key }) {
      fixed[fixedIndex] = setting
    } else {
      fixed.append(setting)
    }
  }
}
