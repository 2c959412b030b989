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
    case is OrchestratorError, is ArtifactsError, is ReportError, is SlurmError:
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

  @Option(help: "Refuse grids with more cells than this.")
  var maxCells: Int = 100_000

  func load() throws -> Sweep {
    try Sweep.load(path: sweepFile, overrides: overrides, maxCells: maxCells)
  }
}

/// Parses `--shard i/N` values.
func parseShard(_ text: String?) throws -> Shard? {
  guard let text else { return nil }
  return try Shard(parsing: text)
}
