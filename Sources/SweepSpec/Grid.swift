// Grid expansion: the product of the axes (first axis outermost), exclude and include entries
// with GitHub Actions matrix semantics, then the seeds innermost; duplicate cells dropped. The
// size is known before anything is expanded, and entries are matched through an index, so that
// neither a huge grid nor thousands of entries cost more than the cells that are kept.

import CanonicalJSON
import TrainingCore

/// Include or exclude entries indexed by their axis values: a trie over (axis, value index)
/// pairs in axis order. Matching a combination costs a few hash lookups per axis, whatever the
/// number of entries.
struct EntryIndex {
  struct Node {
    /// Children by `axis * stride + valueIndex`; their axes are all greater than this node's.
    var children: [Int: Int] = [:]
    /// The greatest axis of a child's key, -1 for a leaf: past it, nothing more matches here.
    var lastAxis = -1
    /// Whether some entry's axis keys end here.
    var isTerminal = false
  }

  private(set) var nodes = [Node()]
  private let stride: Int

  /// Indexes entries given as (axis, value index) pairs (any order; each axis at most once).
  init(stride: Int, entries: [[(axis: Int, value: Int)]]) {
    self.stride = max(stride, 1)
    for entry in entries {
      terminals.append(insert(entry.sorted { $0.axis < $1.axis }))
    }
  }

  /// The terminal node of each entry, in entry order.
  private(set) var terminals: [Int] = []

  private mutating func insert(_ keys: [(axis: Int, value: Int)]) -> Int {
    var node = 0
    for key in keys {
      nodes[node].lastAxis = max(nodes[node].lastAxis, key.axis)
      let slot = key.axis * stride + key.value
      if let child = nodes[node].children[slot] {
        node = child
      } else {
        nodes.append(Node())
        nodes[node].children[slot] = nodes.count - 1
        node = nodes.count - 1
      }
    }
    nodes[node].isTerminal = true
    return node
  }

  /// The nodes still able to match after choosing `value` on `axis`, from the ones active
  /// before; `reached` receives the terminal nodes reached by this choice.
  func advance(
    _ active: [Int], axis: Int, value: Int, reached: inout [Int]
  ) -> [Int] {
    var next: [Int] = []
    let slot = axis * stride + value
    for node in active {
      if nodes[node].lastAxis > axis { next.append(node) }
      if let child = nodes[node].children[slot] {
        if nodes[child].isTerminal { reached.append(child) }
        if nodes[child].lastAxis > axis { next.append(child) }
      }
    }
    return next
  }

  /// Whether some active node can still match at `axis` or later.
  func canMatch(_ active: [Int], atOrAfter axis: Int) -> Bool {
    active.contains { nodes[$0].lastAxis >= axis }
  }
}

/// A product times a factor, saturating at `Int.max`.
func saturatingProduct(_ a: Int, _ b: Int) -> Int {
  let (product, overflow) = a.multipliedReportingOverflow(by: b)
  return overflow ? Int.max : product
}

/// One combination of the grid that is kept: the value index of each axis, and the include
/// entries that extend it, in entry order.
struct KeptCombination {
  var digits: [Int]
  var includes: [Int]
}

extension SweepDraft {
  /// Visits at most this many grid prefixes to count what the excludes leave of a grid that is
  /// over the limit before them; beyond it the grid is refused by its size before excludes.
  static let countingBudget = 5_000_000

  /// The entries as (axis, value index) pairs over the axes; nil for an entry naming a value no
  /// axis has (it can match no combination). Keys that are not axes are left out.
  func axisKeys(of entries: [[DraftSetting]], order: [Int]) -> [[(axis: Int, value: Int)]?] {
    var position: [String: Int] = [:]
    for (rank, axis) in order.enumerated() { position[axes[axis].name] = rank }
    return entries.map { entry in
      var keys: [(axis: Int, value: Int)] = []
      for setting in entry {
        guard let rank = position[setting.name] else { continue }
        guard let value = axes[order[rank]].values.firstIndex(of: setting.value) else {
          return nil
        }
        keys.append((rank, value))
      }
      return keys
    }
  }

  /// The number of combinations that no exclude entry removes, or nil when counting would take
  /// more than `countingBudget` steps. Axes that excludes name are walked first; the others
  /// only multiply.
  func keptCount() -> Int? {
    let named = Set(excludes.flatMap { $0.map(\.name) })
    let order =
      axes.indices.filter { named.contains(axes[$0].name) }
      + axes.indices.filter { !named.contains(axes[$0].name) }
    let index = EntryIndex(
      stride: axes.map(\.values.count).max() ?? 1,
      entries: axisKeys(of: excludes, order: order).compactMap { $0 })
    if index.nodes[0].isTerminal { return 0 }
    let sizes = order.map { axes[$0].values.count }
    var tail = [Int](repeating: 1, count: sizes.count + 1)
    for depth in sizes.indices.reversed() {
      tail[depth] = saturatingProduct(tail[depth + 1], sizes[depth])
    }
    var steps = 0
    func count(depth: Int, active: [Int]) -> Int? {
      if depth == sizes.count || !index.canMatch(active, atOrAfter: depth) { return tail[depth] }
      steps += 1
      if steps > Self.countingBudget { return nil }
      var total = 0
      for value in 0..<sizes[depth] {
        var reached: [Int] = []
        let next = index.advance(active, axis: depth, value: value, reached: &reached)
        guard reached.isEmpty else { continue }
        guard let below = count(depth: depth + 1, active: next) else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(below)
        total = overflow ? Int.max : sum
      }
      return total
    }
    return count(depth: 0, active: [0])
  }

  /// Refuses a grid whose cells (after exclude, before include) exceed `maxCells`, without
  /// expanding it. Returns the number of combinations excludes leave when it had to count them.
  @discardableResult
  func checkSize(maxCells: Int) throws(SweepSpecError) -> Int? {
    let seedCount = max(seeds.value.count, 1)
    let product = axes.reduce(1) { saturatingProduct($0, $1.values.count) }
    let before = saturatingProduct(product, seedCount)
    guard before > maxCells else { return nil }
    if excludes.isEmpty { throw .tooManyCells(gridLocation, count: before, limit: maxCells) }
    guard let kept = keptCount() else {
      throw .invalid(
        gridLocation,
        message: "the grid has \(before == Int.max ? "more than \(Int.max)" : String(before)) "
          + "cells before exclude, more than the limit of \(maxCells), and too many to count "
          + "what the exclude entries leave; shrink the grid")
    }
    let cells = saturatingProduct(kept, seedCount)
    if cells > maxCells { throw .tooManyCells(gridLocation, count: cells, limit: maxCells) }
    return kept
  }

  /// The combinations of the axes in expansion order without the excluded ones, each with the
  /// include entries that extend it; and, per include entry, whether it fits any of them.
  /// Only call once the size is known to be within the limit.
  func keptCombinations() -> (kept: [KeptCombination], includeFits: [Bool]) {
    let order = Array(axes.indices)
    let stride = axes.map(\.values.count).max() ?? 1
    let excludeIndex = EntryIndex(
      stride: stride, entries: axisKeys(of: excludes, order: order).compactMap { $0 })
    let includeKeys = axisKeys(of: includes, order: order)
    // Entries naming a value no axis has fit nothing; they get a node no walk reaches.
    let includeIndex = EntryIndex(
      stride: stride, entries: includeKeys.compactMap { $0 })
    var entriesAt: [Int: [Int]] = [:]
    var nodeOfEntry = [Int?](repeating: nil, count: includes.count)
    var terminal = includeIndex.terminals.makeIterator()
    for (entry, keys) in includeKeys.enumerated() where keys != nil {
      guard let node = terminal.next() else { break }
      entriesAt[node, default: []].append(entry)
      nodeOfEntry[entry] = node
    }
    var reachedNodes = Set<Int>()
    var kept: [KeptCombination] = []
    var digits = [Int](repeating: 0, count: axes.count)
    func walk(depth: Int, excludes: [Int], includes: [Int], matched: [Int]) {
      if depth == axes.count {
        let entries = matched.flatMap { entriesAt[$0] ?? [] }.sorted()
        reachedNodes.formUnion(matched)
        kept.append(KeptCombination(digits: digits, includes: entries))
        return
      }
      for value in axes[depth].values.indices {
        var excluded: [Int] = []
        let nextExcludes = excludeIndex.advance(
          excludes, axis: depth, value: value, reached: &excluded)
        guard excluded.isEmpty else { continue }
        var reached = matched
        let nextIncludes = includeIndex.advance(
          includes, axis: depth, value: value, reached: &reached)
        digits[depth] = value
        walk(depth: depth + 1, excludes: nextExcludes, includes: nextIncludes, matched: reached)
      }
    }
    walk(
      depth: 0, excludes: [0], includes: [0],
      matched: includeIndex.nodes[0].isTerminal ? [0] : [])
    let fits = nodeOfEntry.map { node in node.map { reachedNodes.contains($0) } ?? false }
    return (kept, fits)
  }

  /// The expanded sweep: combinations × seeds as cells, without duplicates.
  func expand(maxCells: Int) throws(SweepSpecError) -> Sweep {
    let counted = try checkSize(maxCells: maxCells)
    let (kept, includeFits) =
      counted == 0 ? ([], includes.map { _ in false }) : keptCombinations()
    let added = includes.indices.filter { !includeFits[$0] }
    let combinationCount = kept.count + added.count
    if combinationCount == 0 {
      throw .invalid(
        excludeLocation ?? gridLocation,
        message: "the exclude entries remove every combination of the grid; nothing would run")
    }
    let seedList = seeds.value.seeds
    let total = saturatingProduct(combinationCount, seedList.count)
    if total > maxCells {
      throw .tooManyCells(gridLocation, count: total, limit: maxCells)
    }
    var base = TrainingConfig()
    for setting in fixed {
      Parameters.write(setting.name, setting.value, to: &base)
    }
    let axisWriters = axes.map { Parameters.writer(of: $0.name) }
    let includeWriters = includes.map { entry in
      entry.map { (write: Parameters.writer(of: $0.name), value: $0.value) }
    }
    var cells: [Cell] = []
    cells.reserveCapacity(total)
    var seen = Set<CellID>(minimumCapacity: total)
    func addCells(of config: TrainingConfig) {
      var config = config
      for seed in seedList {
        config.seed = seed
        let cell = Cell(config: config)
        if seen.insert(cell.id).inserted { cells.append(cell) }
      }
    }
    for combination in kept {
      var config = base
      for (axis, digit) in combination.digits.enumerated() {
        axisWriters[axis](axes[axis].values[digit], &config)
      }
      for entry in combination.includes {
        for setting in includeWriters[entry] { setting.write(setting.value, &config) }
      }
      if let problem = Parameters.memoryProblem(of: config) {
        throw .invalid(gridLocation, message: problem)
      }
      addCells(of: config)
    }
    for entry in added {
      var config = base
      for setting in includeWriters[entry] { setting.write(setting.value, &config) }
      if let problem = Parameters.memoryProblem(of: config) {
        throw .invalid(includes[entry].first?.location ?? gridLocation, message: problem)
      }
      addCells(of: config)
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
      includes: includes.map(settings), combinations: combinationCount, cells: cells)
  }
}
