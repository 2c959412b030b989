// Grid expansion: the product of the axes (first axis outermost), exclude and include entries
// with GitHub Actions matrix semantics, then the seeds innermost; duplicate cells dropped.

import CanonicalJSON
import TrainingCore

/// One combination of parameter values, before seeds.
typealias Combination = [String: JSONValue]

extension SweepDraft {
  /// Combinations of the axes in expansion order without the excluded ones, and the number of
  /// cells they make with the seeds. Stops storing once over `maxCells`.
  func productCombinations(maxCells: Int) throws(SweepSpecError) -> [Combination] {
    let seedCount = max(seeds.value.count, 1)
    var product = 1
    for axis in axes {
      let (next, overflow) = product.multipliedReportingOverflow(by: axis.values.count)
      product = overflow ? Int.max : next
    }
    let upperBound = product.multipliedReportingOverflow(by: seedCount)
    // Exclusions can bring a large product under the limit; counting them is only worth it while
    // enumerating is cheap, beyond that the count before exclusion is reported.
    if upperBound.overflow || (upperBound.partialValue > maxCells && product > 10_000_000) {
      throw .tooManyCells(
        gridLocation, count: upperBound.overflow ? Int.max : upperBound.partialValue,
        limit: maxCells)
    }
    var kept: [Combination] = []
    var keptCount = 0
    var digits = [Int](repeating: 0, count: axes.count)
    while true {
      var combination: Combination = [:]
      for (axis, digit) in zip(axes, digits) {
        combination[axis.name] = axis.values[digit]
      }
      if !isExcluded(combination) {
        keptCount += 1
        if keptCount * seedCount <= maxCells { kept.append(combination) }
      }
      // Odometer: the last axis turns fastest, so the first axis is outermost.
      var position = axes.count - 1
      while position >= 0 {
        digits[position] += 1
        if digits[position] < axes[position].values.count { break }
        digits[position] = 0
        position -= 1
      }
      if position < 0 { break }
    }
    if keptCount * seedCount > maxCells {
      throw .tooManyCells(gridLocation, count: keptCount * seedCount, limit: maxCells)
    }
    return kept
  }

  /// Whether some exclude entry matches every one of its keys in `combination`.
  func isExcluded(_ combination: Combination) -> Bool {
    excludes.contains { entry in entry.allSatisfy { combination[$0.name] == $0.value } }
  }

  /// GitHub Actions include semantics: an entry's keys are added to every original combination
  /// whose axis values it does not contradict (added keys may be overwritten by later entries);
  /// an entry that fits none becomes a new combination, appended after the others.
  func applyingIncludes(to combinations: [Combination]) -> [Combination] {
    var combinations = combinations
    var added: [Combination] = []
    let axisNames = Set(axes.map(\.name))
    for entry in includes {
      var matched = false
      for index in combinations.indices {
        let fits = entry.allSatisfy { setting in
          !axisNames.contains(setting.name) || combinations[index][setting.name] == setting.value
        }
        guard fits else { continue }
        matched = true
        for setting in entry {
          combinations[index][setting.name] = setting.value
        }
      }
      if !matched {
        var combination: Combination = [:]
        for setting in entry {
          combination[setting.name] = setting.value
        }
        added.append(combination)
      }
    }
    return combinations + added
  }

  /// The expanded sweep: combinations × seeds as cells, without duplicates.
  func expand(maxCells: Int) throws(SweepSpecError) -> Sweep {
    let combinations = applyingIncludes(to: try productCombinations(maxCells: maxCells))
    let seedList = seeds.value.seeds
    let total = combinations.count.multipliedReportingOverflow(by: seedList.count)
    if total.overflow || total.partialValue > maxCells {
      throw .tooManyCells(
        gridLocation, count: total.overflow ? Int.max : total.partialValue, limit: maxCells)
    }
    var base = TrainingConfig()
    for setting in fixed {
      Parameters.write(setting.name, setting.value, to: &base)
    }
    var cells: [Cell] = []
    cells.reserveCapacity(total.partialValue)
    var seen = Set<CellID>()
    for combination in combinations {
      var config = base
      for (name, value) in combination {
        Parameters.write(name, value, to: &config)
      }
      for seed in seedList {
        config.seed = seed
        let cell = Cell(config: config)
        if seen.insert(cell.id).inserted { cells.append(cell) }
      }
    }
    func settings(_ draft: [DraftSetting]) -> [Sweep.Setting] {
      draft.map {
        Sweep.Setting(
          name: $0.name, value: Parameters.displayText($0.value), canonicalValue: $0.value)
      }
    }
    return Sweep(
      name: name.value, description: description, specPath: "", specSHA256: "",
      axes: axes.map {
        Sweep.Axis(
          name: $0.name, values: $0.values.map(Parameters.displayText), canonicalValues: $0.values)
      },
      fixed: settings(fixed), seeds: seedList, excludes: excludes.map(settings),
      includes: includes.map(settings), combinations: combinations.count, cells: cells)
  }
}
