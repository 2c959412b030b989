// The in-memory input of a report: each cell's config, status and step series, plus the options
// that shape the figures and the claims check.

import Artifacts
import SweepSpec
import TrainingCore

/// One validation-accuracy measurement.
public struct AccuracyPoint: Sendable, Equatable {
  public var step: Int
  public var value: Double

  public init(step: Int, value: Double) {
    self.step = step
    self.value = value
  }
}

/// The logged series of one cell. Every array in `losses` and `gradNorms` is indexed like
/// `steps`; `nil` marks a non-finite (or absent) value and is drawn as a gap.
public struct CellSeries: Sendable, Equatable {
  public var steps: [Int]
  public var losses: [Loss: [Float?]]
  public var gradNorms: [Loss: [Float?]]
  public var accuracy: [AccuracyPoint]

  public init(
    steps: [Int] = [], losses: [Loss: [Float?]] = [:], gradNorms: [Loss: [Float?]] = [:],
    accuracy: [AccuracyPoint] = []
  ) {
    self.steps = steps
    self.losses = losses
    self.gradNorms = gradNorms
    self.accuracy = accuracy
  }

  /// The last recorded validation accuracy, if any.
  public var finalAccuracy: Double? { accuracy.last?.value }
}

/// One cell of a sweep as the report sees it.
public struct ReportCell: Sendable, Equatable {
  /// The cell id (64 hex characters).
  public var id: String
  public var config: TrainingConfig
  /// `ok`, `diverged` or `missing`.
  public var status: CellStatus
  public var series: CellSeries
  /// Attempts recorded in the failure ledger (`attempts/<id>.ndjson`); 0 when it has none.
  public var attempts = 0

  public init(id: String, config: TrainingConfig, status: CellStatus, series: CellSeries) {
    self.id = id
    self.config = config
    self.status = status
    self.series = series
  }

  /// The first twelve characters of the id, as the rest of the tool shows ids.
  public var shortID: String { shortHex(id) }

  /// Final validation accuracy, unless the cell is missing.
  public var finalAccuracy: Double? { status == .missing ? nil : series.finalAccuracy }
}

/// Everything a report is drawn from.
public struct ReportInput: Sendable, Equatable {
  public var sweepName: String
  public var cells: [ReportCell]
  /// Ids of planned cells with no artifacts whose configs are unknown (the sweep manifest's
  /// `missing` list); cells with a known config and no data are `cells` with status `missing`.
  public var missingIDs: [String]

  public init(sweepName: String, cells: [ReportCell], missingIDs: [String] = []) {
    self.sweepName = sweepName
    self.cells = cells
    self.missingIDs = missingIDs
  }
}

/// How the report is drawn.
public struct ReportOptions: Sendable, Equatable {
  /// Trailing moving-average window applied to loss and gradient-norm lines; 1 means none.
  public var smooth: Int = 1
  /// The most points drawn per line; longer lines are bucketed into a mean line plus a
  /// min/max band. A line never gets more points than its panel has pixels either.
  public var maxPoints: Int = 2000
  /// Thresholds of the claims check.
  public var claims: ClaimOptions = ClaimOptions()

  public init(smooth: Int = 1, maxPoints: Int = 2000, claims: ClaimOptions = ClaimOptions()) {
    self.smooth = smooth
    self.maxPoints = maxPoints
    self.claims = claims
  }
}

/// The errors of the Report module.
public enum ReportError: Error, CustomStringConvertible, Equatable {
  /// A line of a step log is not what docs/FORMATS.md describes.
  case badStepLog(path: String, line: Int, reason: String)
  /// A report file could not be written.
  case writeFailed(path: String, reason: String)
  /// Reading the sweep's artifacts failed; the error names the file.
  case artifacts(ArtifactsError)
  /// A cell's config in the sweep manifest is not a valid canonical config.
  case badConfig(cell: String, reason: String)
  /// A step log's uncompressed bytes do not hash to the manifest's `content_sha256`.
  case contentMismatch(path: String, expected: String, found: String)

  public var description: String {
    switch self {
    case .artifacts(let error): "\(error)"
    case .badConfig(let cell, let reason): "cell \(cell): bad config in the manifest: \(reason)"
    case .contentMismatch(let path, let expected, let found):
      "\(path): content SHA-256 is \(found), the manifest says \(expected); rerun the cell"
    case .badStepLog(let path, let line, let reason): "\(path):\(line): bad step record: \(reason)"
    case .writeFailed(let path, let reason): "\(path): cannot write: \(reason)"
    }
  }
}

/// The accuracy of always predicting the majority class at threshold `theta`.
func majorityBaseline(theta: Double) -> Double { max(theta, 1 - theta) }

/// Percent of foreground pixels expected at threshold `theta`, rounded.
func foregroundPercent(theta: Double) -> Int { Int(((1 - theta) * 100).rounded()) }

/// Whether two thresholds are the same value written two ways.
func sameTheta(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }
