// How a cell of a sweep stands, as manifests, summaries and reports record it: the one place the
// words `ok`, `diverged` and `missing` are spelled.

import TrainingCore

/// The status of a cell: `ok` and `diverged` are what a finished cell's manifest records;
/// `missing` is a planned cell with no valid artifacts (reports and diffs only).
public enum CellStatus: String, Sendable, CaseIterable, Comparable, CustomStringConvertible {
  case ok
  case diverged
  case missing

  /// The statuses a cell manifest or a sweep manifest entry may record.
  public static let recorded: [CellStatus] = [.ok, .diverged]

  /// The word written in files and tables.
  public var description: String { rawValue }

  /// The status a finished run of the core reports.
  public init(_ status: RunStatus) {
    switch status {
    case .ok: self = .ok
    case .diverged: self = .diverged
    }
  }

  /// Reads a recorded status (`ok` or `diverged`); `file` and `context` name it in errors.
  public init(recorded text: String, file: String, context: String = "")
    throws(ArtifactsError)
  {
    guard let status = CellStatus(rawValue: text), CellStatus.recorded.contains(status) else {
      let key = context.isEmpty ? "status" : "\(context).status"
      throw .badManifest(file: file, reason: "\(key) is \"\(text)\", expected ok or diverged")
    }
    self = status
  }

  public static func < (a: CellStatus, b: CellStatus) -> Bool { a.rawValue < b.rawValue }
}
