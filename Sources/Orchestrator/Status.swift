// `sweep status`: which cells of a sweep are done, running, failed or missing, per shard, and
// the command that finishes exactly the rest.
import Artifacts
import Foundation
import SweepSpec

/// The state of one cell in a result directory.
public enum CellState: String, Sendable, CaseIterable {
  case done
  /// A step log is being written by a live process (see `cellsBeingWritten`).
  case running
  /// The last attempt failed; a rerun retries it.
  case failed
  case missing
}

/// The state of every cell of a sweep in its result directory.
public struct SweepStatus: Sendable {
  public var sweep: Sweep
  public var sweepDirectory: String
  public var states: [(cell: Cell, state: CellState)]

  public init(sweep: Sweep, sweepDirectory: String) {
    self.sweep = sweep
    self.sweepDirectory = sweepDirectory
    let directory = SweepDirectory(sweepDirectory)
    let temps = cellsBeingWritten(cellsDirectory: directory.cells)
    states = sweep.cells.map { cell in
      if cellIsDone(cell.id, in: directory) { return (cell, .done) }
      if temps.contains(cell.id.hex) { return (cell, .running) }
      if FailureMarker.message(cell.id, in: directory) != nil {
        return (cell, .failed)
      }
      return (cell, .missing)
    }
  }

  public func count(_ state: CellState) -> Int { states.filter { $0.state == state }.count }

  /// Counts per state, for the shard `part` of `count`.
  public func counts(shard part: Int, of count: Int) -> [CellState: Int] {
    var result: [CellState: Int] = [:]
    for (cell, state) in states where Shard.part(of: cell.id, count: count) == part {
      result[state, default: 0] += 1
    }
    return result
  }
}
