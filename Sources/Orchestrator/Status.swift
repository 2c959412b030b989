// `sweep status`: which cells of a sweep are done, running, failed or missing, per shard, and
// the command that finishes exactly the rest.
import Artifacts
import Foundation
import SweepSpec

/// The state of one cell in a result directory.
public enum CellState: String, Sendable, CaseIterable {
  case done
  /// A step log is being written (a temporary file changed in the last minute).
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
    let temps = SweepStatus.recentTemporaryFiles(in: "\(sweepDirectory)/cells")
    states = sweep.cells.map { cell in
      let hex = cell.id.hex
      if cellIsDone(sweepDirectory: sweepDirectory, hex: hex) { return (cell, .done) }
      if temps.contains(hex) { return (cell, .running) }
      if FailureMarker.message(sweepDirectory: sweepDirectory, hex: hex) != nil {
        return (cell, .failed)
      }
      return (cell, .missing)
    }
  }

  /// Ids (hex) with a temporary step log modified in the last minute. Workers write their logs
  /// continuously, so an older temporary file is left over from a run that was killed.
  static func recentTemporaryFiles(in directory: String) -> Set<String> {
    let fm = FileManager.default
    guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
    var result = Set<String>()
    for name in names where name.hasSuffix(".tmp") {
      let attributes = try? fm.attributesOfItem(atPath: "\(directory)/\(name)")
      if let modified = attributes?[.modificationDate] as? Date,
        Date().timeIntervalSince(modified) < 60
      {
        result.insert(String(name.prefix(64)))
      }
    }
    return result
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
