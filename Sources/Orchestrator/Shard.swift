// A stable partition of a sweep's cells by id, so that cluster array tasks split a grid with no
// coordination: the same cell always lands in the same part for the same count.
import SweepSpec

/// Part `index` of `count` (0-based) of a stable partition of cells by id.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  public let index: Int
  public let count: Int

  public init(index: Int, count: Int) throws(OrchestratorError) {
    guard count >= 1, index >= 0, index < count else {
      throw .badShard("\(index)/\(count)", "expected i/N with 0 ≤ i < N")
    }
    self.index = index
    self.count = count
  }

  /// Parses `i/N` as given to `--shard`.
  public init(parsing text: String) throws(OrchestratorError) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
      throw .badShard(text, "expected i/N, e.g. 0/4")
    }
    guard n >= 1 else { throw .badShard(text, "N must be at least 1") }
    guard i >= 0, i < n else {
      throw .badShard(
        text, i == n ? "\(i) is one past the last shard, \(n - 1)" : "expected 0 ≤ i < N")
    }
    try self.init(index: i, count: n)
  }

  /// The part a cell belongs to: its id's first 60 bits modulo the part count.
  public static func part(of id: CellID, count: Int) -> Int {
    let prefix = id.hex.prefix(15)
    let value = UInt64(prefix, radix: 16) ?? 0
    return Int(value % UInt64(count))
  }

  /// Checks that the sweep has at least one cell per shard (a shard count above the number of
  /// cells only makes empty shards, and a million of them make `status` print a million rows).
  public func check(cellCount: Int) throws(OrchestratorError) {
    if count > max(1, cellCount) {
      throw .badShard(
        description,
        "N is more than the \(cellCount) cell\(cellCount == 1 ? "" : "s") of the sweep; "
          + "use at most --shard i/\(max(1, cellCount))")
    }
  }

  public func contains(_ id: CellID) -> Bool { Shard.part(of: id, count: count) == index }

  public var description: String { "\(index)/\(count)" }
}
