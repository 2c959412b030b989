import Foundation
import SweepSpec
import Testing

@testable import Orchestrator

private func sweep(_ fixed: String = "") throws -> Sweep {
  try Sweep.parse(
    text: """
      name: plan
      grid:
        iterations: [100, 400, 200, 300]
        batch_norm: [false, true]
      \(fixed)
      """, path: "plan.yaml")
}

@Test func pendingCellsAreOrderedLongestFirst() throws {
  let plan = Plan(sweep: try sweep(), sweepDirectory: "/nonexistent", shard: nil, jobs: 2)
  let costs = plan.pending.map(\.cost)
  #expect(costs == costs.sorted(by: >))
  #expect(plan.pending.count == 8)
  #expect(plan.cells.allSatisfy { !$0.done })
}

@Test func longestFirstAssignmentBalancesSlots() throws {
  let plan = Plan(sweep: try sweep(), sweepDirectory: "/nonexistent", shard: nil, jobs: 2)
  let loads = plan.slotLoads
  #expect(loads.count == 2)
  let total = loads.reduce(0, +)
  #expect(abs(loads[0] - loads[1]) / total < 0.1, "\(loads)")
  #expect(plan.cells.allSatisfy { $0.slot != nil })
}

@Test func oneSlotTakesEverything() throws {
  let plan = Plan(sweep: try sweep(), sweepDirectory: "/nonexistent", shard: nil, jobs: 1)
  #expect(plan.cells.allSatisfy { $0.slot == 0 })
}

@Test func shardPlansOnlyItsCells() throws {
  let full = try sweep()
  var total = 0
  for i in 0..<3 {
    let plan = Plan(
      sweep: full, sweepDirectory: "/nonexistent", shard: try Shard(index: i, count: 3), jobs: 2)
    total += plan.cells.count
  }
  #expect(total == full.cells.count)
}
