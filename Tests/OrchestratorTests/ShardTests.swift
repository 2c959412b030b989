import SweepSpec
import Testing

@testable import Orchestrator

private func paperLikeSweep() throws -> Sweep {
  try Sweep.parse(
    text: """
      name: shards
      grid:
        loss: [cce, dice, dice_square, dicefg, dicefg_square]
        theta: [0.05, 0.5, 0.95]
        batch_norm: [false, true]
        optimizer: [adam, sgd]
      seeds: 3
      """, path: "shards.yaml")
}

@Test(arguments: [1, 2, 3, 4, 7, 16, 200])
func shardsCoverEveryCellExactlyOnce(count: Int) throws {
  let sweep = try paperLikeSweep()
  var seen: [String: Int] = [:]
  for index in 0..<count {
    let shard = try Shard(index: index, count: count)
    for cell in sweep.cells where shard.contains(cell.id) {
      seen[cell.id.hex, default: 0] += 1
    }
  }
  #expect(seen.count == sweep.cells.count)
  #expect(seen.values.allSatisfy { $0 == 1 })
}

@Test func shardsAreReasonablyBalanced() throws {
  let sweep = try paperLikeSweep()
  let sizes = try (0..<3).map { i in
    let shard = try Shard(index: i, count: 3)
    return sweep.cells.filter { shard.contains($0.id) }.count
  }
  #expect(sizes.allSatisfy { $0 >= 40 && $0 <= 80 }, "\(sizes)")
}

@Test func shardMembershipDoesNotDependOnGridOrder() throws {
  let a = try paperLikeSweep()
  let b = try Sweep.parse(
    text: """
      name: reordered
      grid:
        optimizer: [sgd, adam]
        batch_norm: [true, false]
        theta: [0.95, 0.5, 0.05]
        loss: [dicefg_square, dicefg, dice_square, dice, cce]
      seeds: 3
      """, path: "reordered.yaml")
  let shard = try Shard(index: 1, count: 4)
  let partA = Set(a.cells.filter { shard.contains($0.id) }.map(\.id.hex))
  let partB = Set(b.cells.filter { shard.contains($0.id) }.map(\.id.hex))
  #expect(partA == partB)
}

@Test(arguments: ["3/3", "-1/2", "1", "a/b", "0/0", "1/2/3", ""])
func badShardTextIsRefused(text: String) {
  #expect(throws: OrchestratorError.self) { try Shard(parsing: text) }
}

@Test func shardTextParses() throws {
  let shard = try Shard(parsing: "2/5")
  #expect(shard.index == 2 && shard.count == 5)
  #expect(shard.description == "2/5")
}

@Test func shardErrorsSayShardsAreNumberedFromZero() {
  do {
    _ = try Shard(parsing: "3/3")
    Issue.record("--shard 3/3 was accepted")
  } catch {
    #expect(
      error.description
        == "--shard 3/3: 3 is one past the last shard, 2; shards are numbered 0…N−1, "
        + "like SLURM_ARRAY_TASK_ID")
  }
}

@Test func shardCountIsCappedAtTheNumberOfCells() throws {
  let shard = try Shard(parsing: "0/1000000")
  #expect(throws: OrchestratorError.self) { try shard.check(cellCount: 180) }
  try Shard(parsing: "3/180").check(cellCount: 180)
  do {
    try Shard(parsing: "0/7").check(cellCount: 6)
  } catch {
    #expect(
      error.description.contains("N is more than the 6 cells of the sweep; use at most --shard i/6")
    )
  }
}
