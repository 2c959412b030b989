// The `sweep` executable: argument parsing and printing only; every behaviour lives in the
// library targets. Errors become messages and exit codes here, in one place.
import ArgumentParser
import Artifacts
import Foundation
import Orchestrator
import Report
import SweepSpec

@main
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Declarative, bit-reproducible sweeps of the Dice vs cross-entropy experiment.",
    version: toolVersion,
    subcommands: [
      Train.self, Plan.self, Run.self, Summarize.self, Merge.self, Status.self, Rerun.self,
      Verify.self, Diff.self, MakeReport.self, Claims.self, Slurm.self, Bench.self, Worker.self,
    ]
  )

  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      exit(withMappedError: error)
    }
  }

  /// Bad input (spec errors, bad flags, unreadable results) exits 2; a failed check or a
  /// failed cell exits 1 (thrown as `ExitCode`).
  static func exit(withMappedError error: Error) -> Never {
    if let code = error as? ExitCode { Foundation.exit(code.rawValue) }
    switch error {
    case let error as SweepSpecError:
      // Its description already reads `file:line:column: error: …` with the source line.
      printError("\(error)")
      Foundation.exit(2)
    case is OrchestratorError, is ArtifactsError, is ReportError:
      printError("error: \(error)")
      Foundation.exit(2)
    default:
      let code = exitCode(for: error)
      if code == .success || code == .failure {
        exit(withError: error)
      }
      // Usage errors (unknown flags, bad values) are bad input: exit 2, as spec errors do.
      printError(fullMessage(for: error))
      Foundation.exit(2)
    }
  }
}

/// Writes a line to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The absolute path of this executable, so workers and cluster scripts start the same binary.
func currentExecutable() -> String {
  if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
    return path
  }
  return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}

/// Options shared by the verbs that read a sweep file.
struct SpecOptions: ParsableArguments {
  @Argument(help: "The sweep file (YAML).")
  var sweepFile: String

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override a fixed value or replace an axis, e.g. --set iterations=200 --set theta=[0.5].",
      valueName: "key=value"))
  var overrides: [String] = []

  @Option(help: "Refuse grids with more cells than this (at most \(Sweep.maxCellsLimit)).")
  var maxCells: Int = 100_000

  func validate() throws {
    try checkFlag("--max-cells", maxCells, in: FlagRange.cells)
  }

  func load() throws -> Sweep {
    try Sweep.load(path: sweepFile, overrides: overrides, maxCells: maxCells)
  }
}

/// Parses `--shard i/N` values.
func parseShard(_ text: String?) throws -> Shard? {
  guard let text else { return nil }
  return try Shard(parsing: text)
}

/// The accepted range of every numeric flag, checked in `validate()` before anything runs, so
/// that a value such as `--jobs 9999999999999` is an error rather than an allocation.
enum FlagRange {
  static let jobs = 1...1024
  /// Cell, shard and task counts.
  static let cells = 1...Sweep.maxCellsLimit
  static let cpus = 1...1024
  static let smooth = 1...1_000_000
  static let maxPoints = 10...1_000_000
  static let benchRepeats = 1...1000
  static let rows = 0...Int.max
  static let steps = 0...(1 << 53)
  static let retries = 0...100
}

/// Refuses a value of `flag` outside `range` with a message naming the flag, the range and the
/// value; nil (the flag not given) passes.
func checkFlag<Value: Comparable>(_ flag: String, _ value: Value?, in range: ClosedRange<Value>)
  throws
{
  guard let value, !range.contains(value) else { return }
  let upper = "\(range.upperBound)"
  let bounds =
    range.upperBound as? Int == Int.max
    ? "at least \(range.lowerBound)" : "in \(range.lowerBound)...\(upper)"
  throw ValidationError("\(flag) must be \(bounds), got \(value)")
}

/// Refuses a real value of `flag` that is not finite or lies outside `range`.
func checkFlag(_ flag: String, _ value: Double?, in range: ClosedRange<Double>) throws {
  guard let value, !(value.isFinite && range.contains(value)) else { return }
  let bounds =
    range.upperBound == .greatestFiniteMagnitude
    ? ">= \(compactNumber(range.lowerBound))"
    : "in [\(compactNumber(range.lowerBound)), \(compactNumber(range.upperBound))]"
  throw ValidationError("\(flag) must be a finite number \(bounds), got \(value)")
}

/// `1` for 1.0, `0.5` for 0.5: how a range bound reads in a message.
private func compactNumber(_ x: Double) -> String {
  x.rounded() == x && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
}
