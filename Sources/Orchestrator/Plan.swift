// Which cells of a sweep run where: the shard's cells, which are already done, their estimated
// cost, and a longest-first assignment to worker slots.
import Artifacts
import Foundation
import SweepSpec
import TrainingCore

/// One cell of a plan.
public struct PlannedCell: Sendable {
  public var cell: Cell
  /// Estimated floating-point operations of the whole cell (training and evaluation).
  public var cost: Double
  /// Whether the cell's artifacts exist and match their manifest, so it will be skipped.
  public var done: Bool
  /// What is wrong with the cell's artifacts when they exist but are damaged (it is redone).
  public var damage: String?
  /// The worker slot that takes the cell in a longest-first schedule (nil when done).
  public var slot: Int?
}

/// The cells of a sweep (or of one shard) and how they are spread over worker slots.
public struct Plan: Sendable {
  public var sweepDirectory: String
  public var shard: Shard?
  public var jobs: Int
  /// Cells in expansion order.
  public var cells: [PlannedCell]

  /// Plans `sweep` for `jobs` worker slots. Pending cells are assigned longest first, each to the
  /// slot with the least work so far (the order in which `sweep run` hands them out). With
  /// `deep`, done cells are checked by decompressing their step logs too (`checkCell`).
  public init(sweep: Sweep, sweepDirectory: String, shard: Shard?, jobs: Int, deep: Bool = false) {
    self.sweepDirectory = sweepDirectory
    self.shard = shard
    self.jobs = max(1, jobs)
    // Only cells whose manifest is in the directory can be done: list it once rather than try
    // to open a manifest per cell (100,000 failed opens for a fresh grid).
    let directory = SweepDirectory(sweepDirectory)
    let present = Set(
      (try? FileManager.default.contentsOfDirectory(atPath: directory.cells)) ?? [])
    let chosen = shard.map { part in sweep.cells.filter { part.contains($0.id) } } ?? sweep.cells
    var cells = chosen.map { cell in
      let condition =
        present.contains("\(cell.id.hex).json")
        ? checkCell(cell.id, in: directory, deep: deep) : .absent
      var damage: String?
      if case .damaged(let why) = condition { damage = why }
      return PlannedCell(
        cell: cell, cost: estimatedFLOPs(of: cell.config), done: condition.isDone,
        damage: damage, slot: nil)
    }
    var load = [Double](repeating: 0, count: self.jobs)
    for index in Plan.longestFirst(cells) {
      guard let slot = load.indices.min(by: { load[$0] < load[$1] }) else { break }
      cells[index].slot = slot
      load[slot] += cells[index].cost
    }
    self.cells = cells
  }

  /// Indices of the pending cells, longest first; ties keep expansion order.
  static func longestFirst(_ cells: [PlannedCell]) -> [Int] {
    cells.indices.filter { !cells[$0].done }.sorted {
      cells[$0].cost != cells[$1].cost ? cells[$0].cost > cells[$1].cost : $0 < $1
    }
  }

  public var pending: [PlannedCell] { Plan.longestFirst(cells).map { cells[$0] } }

  /// Estimated work per slot, in FLOPs.
  public var slotLoads: [Double] {
    var load = [Double](repeating: 0, count: jobs)
    for cell in cells { if let slot = cell.slot { load[slot] += cell.cost } }
    return load
  }
}
