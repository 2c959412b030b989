// `sweep slurm`: write (and optionally submit) a Slurm job array for a sweep plus a dependent
// merge job.
import ArgumentParser
import Foundation
import Orchestrator

struct Slurm: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write an sbatch job array (one shard per task) and a dependent merge job.")

  @OptionGroup var spec: SpecOptions
  @Option(help: "Array tasks; task i runs --shard i/N.") var tasks: Int
  @Option(help: "Results root shared by all nodes; the sweep directory is ROOT/<name>.")
  var results = "results"
  @Option(help: "Slurm partition.") var partition: String?
  @Option(help: "Time limit per task, e.g. 01:00:00.") var time: String?
  @Option(help: "CPUs per task; each task runs that many workers.") var cpusPerTask = 1
  @Option(help: "Memory per task, e.g. 4G.") var mem: String?
  @Option(
    name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue,
    help: "Extra #SBATCH line, repeatable, e.g. --sbatch-arg=--account=lab.")
  var sbatchArgs: [String] = []
  @Option(help: "Run at most this many tasks at once (%K).") var maxConcurrent: Int?
  @Flag(help: "Submit with sbatch and print the job ids.") var submit = false
  @Flag(help: "Tasks take the next unclaimed cell, longest first (sweep run --dynamic).")
  var dynamic = false
  @Option(
    help:
      "Each task retries a cell this many times when a worker is killed, signalled or stalled, or hits an I/O error (sweep run --retries)."
  )
  var retries = 0

  func validate() throws {
    try checkFlag("--tasks", tasks, in: FlagRange.cells)
    try checkFlag("--cpus-per-task", cpusPerTask, in: FlagRange.cpus)
    try checkFlag("--max-concurrent", maxConcurrent, in: FlagRange.cells)
    try checkFlag("--retries", retries, in: FlagRange.retries)
  }

  func run() throws {
    let sweep = try spec.load()
    if let problem = arraySizeProblem(tasks: tasks, limit: clusterMaxArraySize()) {
      throw OrchestratorError.slurmOption(problem)
    }
    guard tasks <= sweep.cells.count else {
      throw OrchestratorError.slurmOption(
        "--tasks \(tasks) is more than the sweep's \(sweep.cells.count) cells; "
          + "use at most --tasks \(sweep.cells.count)")
    }
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ path: String) -> String {
      path.hasPrefix("/")
        ? path : URL(fileURLWithPath: cwd).appendingPathComponent(path).standardizedFileURL.path
    }
    var options = SlurmOptions(
      sweepPath: absolute(spec.sweepFile), sweepName: sweep.name, resultsRoot: absolute(results),
      tasks: tasks, partition: partition, time: time, cpusPerTask: cpusPerTask, mem: mem,
      extraSbatchArgs: sbatchArgs, maxConcurrent: maxConcurrent, overrides: spec.overrides,
      executable: currentExecutable(), workingDirectory: cwd)
    options.dynamic = dynamic
    options.retries = retries
    if submit {
      let submission = try submitSlurm(options)
      print("array job: \(submission.arrayJobID)")
      print("merge job: \(submission.mergeJobID)")
    } else {
      let paths = try writeSlurmScripts(options)
      print(slurmArrayScript(options))
      printError("wrote \(paths.array) and \(paths.merge)")
      printError("submit with: sweep slurm \(spec.sweepFile) --tasks \(tasks) ... --submit")
    }
  }
}
