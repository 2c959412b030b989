// `sweep train` (one cell, any parameter overridden, optional step log and state dump) and
// `sweep bench` (the core's single-threaded speed).
import ArgumentParser
import Artifacts
import CanonicalJSON
import Foundation
import Orchestrator
import SweepSpec
import TrainingCore

struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train one cell and print its summary; optionally write its step log.",
    discussion: """
      Parameters are given as key=value (see docs/SWEEPS.md), e.g.
        sweep train loss=dice theta=0.95 batch_norm=true iterations=2000 --out cell.ndjson.gz
      """)

  @Argument(help: ArgumentHelp("Parameter overrides.", valueName: "key=value"))
  var assignments: [String] = []
  @Option(help: "Write the gzip NDJSON step log here.") var out: String?
  @Option(help: "Dump the full state of this step (weights, batch, logits, losses, gradients).")
  var dumpState: Int?
  @Option(help: "Where --dump-state writes its JSON.") var state: String?
  @Option(
    help: ArgumentHelp(
      "The compiled kernel variant: portable, vector (AVX2) or vector512 (AVX-512); default: the fastest this CPU runs.",
      discussion: "Both write the same bits; this exists to check that they do."))
  var kernels: KernelSet?

  func validate() throws {
    if dumpState != nil && state == nil {
      throw ValidationError("--dump-state needs --state FILE.json")
    }
    if state != nil && dumpState == nil {
      throw ValidationError("--state needs --dump-state STEP")
    }
    try checkFlag("--dump-state", dumpState, in: FlagRange.steps)
  }

  /// The chosen variant; one this CPU cannot run is an error.
  var kernelSet: KernelSet { kernels ?? .best }

  func run() throws {
    if let kernels, !KernelSet.available.contains(kernels) {
      throw ValidationError("--kernels \(kernels.rawValue): this CPU cannot run that variant")
    }
    var config = TrainingConfig()
    for text in assignments {
      let (key, value) = try Parameters.assignment(text, flag: "")
      try Parameters.apply(key, value, to: &config)
    }
    if let problem = Parameters.memoryProblem(of: config) { throw ValidationError(problem) }
    if let step = dumpState, let path = state {
      guard step < config.iterations else {
        throw ValidationError(
          "--dump-state \(step) is not a step of a run of \(config.iterations) iterations")
      }
      let dump = Trainer.stateDump(config: config, atStep: step, kernels: kernelSet)
      try writeAtomically(Array(stateDumpJSON(dump).prettyText.utf8), to: path)
      print("wrote the state of step \(step) to \(path)")
      return
    }
    var records: [StepRecord] = []
    var final: StepRecord?
    var best: (accuracy: Double, step: Int)?
    var lastAccuracy: (accuracy: Double, step: Int)?
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = Trainer(config: config, kernels: kernelSet).run { record in
      if out != nil { records.append(record) }
      if let accuracy = record.accuracy {
        lastAccuracy = (accuracy, record.step)
        if accuracy > best?.accuracy ?? -1 { best = (accuracy, record.step) }
      }
      final = record
    }
    let wall = seconds(clock.now - start)
    if let out {
      try writeAtomically(
        try StepLogCodec.encode(records: records, track: config.track).gzip, to: out)
    }
    print(
      "cell \(CellID(config: config).short): loss=\(config.loss.rawValue) theta=\(config.theta) batch_norm=\(config.batchNorm) optimizer=\(config.optimizer.rawValue) seed=\(config.seed)"
    )
    switch outcome.status {
    case .ok: print("status           ok")
    case .diverged(let step): print("status           diverged at step \(step)")
    }
    if let lastAccuracy {
      print(
        String(format: "final accuracy   %.4f (step %d)", lastAccuracy.accuracy, lastAccuracy.step))
    }
    if let best {
      print(String(format: "best accuracy    %.4f (step %d)", best.accuracy, best.step))
    }
    if let final {
      print("final losses     (step \(final.step))")
      for (i, loss) in config.track.enumerated() {
        let name = loss.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)
        print("  \(name) \(final.losses[i])   grad norm \(final.gradNorms[i])")
      }
    }
    print(
      String(
        format: "speed            %d steps in %.2f s, %.0f steps/s", outcome.stepsRun, wall,
        wall > 0 ? Double(outcome.stepsRun) / wall : 0))
    if let out { print("step log         \(out)") }
  }
}

/// The inspection dump as JSON; the format is described in docs/CORE.md.
func stateDumpJSON(_ dump: StateDump) -> JSONValue {
  func tensor(_ t: StateDump.Tensor) -> JSONValue {
    .object([
      "name": .string(t.name), "shape": .array(t.shape.map { JSONValue(int: $0) }),
      "values": .array(t.values.map { JSONValue(float: $0) }),
    ])
  }
  return .object([
    "step": JSONValue(int: dump.step),
    "config": Parameters.canonical(dump.config),
    "core_version": .string(coreSemanticsVersion),
    "parameters": .array(dump.parameters.map(tensor)),
    "inputs": tensor(dump.inputs), "labels": tensor(dump.labels), "logits": tensor(dump.logits),
    "moving_statistics": .array(dump.movingStatistics.map(tensor)),
    "losses": .array(
      dump.losses.map {
        .object([
          "loss": .string($0.loss.rawValue), "value": JSONValue(float: $0.value),
          "grad_norm": JSONValue(float: $0.gradNorm), "gradients": .array($0.gradients.map(tensor)),
        ])
      }),
  ])
}

extension KernelSet: ExpressibleByArgument {}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time whole cells of every kind in a sweep, and project its wall time.",
    discussion: """
      Each distinct config of the sweep (every parameter but the seed) runs once as a whole cell,
      every step and every evaluation included, timed by its thread's CPU time (--threads N times
      N kinds at once). Without --sweep,
      the kinds of sweeps/paper.yaml's grid (loss × θ × batch norm × optimizer) at the defaults.
      """)

  @Option(help: "Benchmark this sweep file's kinds of cell.") var sweep: String?
  @Option(name: .customLong("set"), help: "Override a sweep parameter (as for sweep run).")
  var overrides: [String] = []
  @Option(help: "Runs per kind; the median is reported.") var repeats = 1
  @Option(help: "Project the sweep's wall time for this many workers.") var jobs = 2
  @Option(
    help: ArgumentHelp(
      "Time this many kinds at once, one per thread (each by its own thread's CPU time).",
      discussion: "Use at most one per free core: kinds that share a core measure each other."))
  var threads = 1
  @Option(
    help: "The compiled kernel variant: portable, vector or vector512 (default: the fastest).")
  var kernels: KernelSet?

  func validate() throws {
    try checkFlag("--repeats", repeats, in: FlagRange.benchRepeats)
    try checkFlag("--jobs", jobs, in: FlagRange.jobs)
    try checkFlag("--threads", threads, in: FlagRange.jobs)
  }

  func run() throws {
    let kernelSet = kernels ?? .best
    guard KernelSet.available.contains(kernelSet) else {
      throw ValidationError("--kernels \(kernelSet.rawValue): this CPU cannot run that variant")
    }
    let cells: [Cell]
    let sweepName: String
    if let sweep {
      let loaded = try Sweep.load(path: sweep, overrides: overrides)
      cells = loaded.cells
      sweepName = sweep
    } else {
      cells = paperGridCells()
      sweepName = "the paper grid (60 kinds × 3 seeds)"
    }
    let kinds = benchmarkKinds(of: cells)
    print("CPU       \(cpuDescription())")
    print("kernels   \(kernelSet.rawValue); floating point: \(trainingFloatingPointMode)")
    print(
      "timing    \(kinds.count) kinds of cell of \(sweepName), whole cells (every step and "
        + "evaluation), \(repeats) run\(repeats == 1 ? "" : "s") each, "
        + (threads == 1 ? "one thread" : "\(threads) threads at once, one kind per thread"))
    let total = kinds.count
    let results = runCellBenchmarks(
      kinds, kernels: kernelSet, repeats: repeats, threads: threads
    ) { index, result in
      let kind = result.kind.padding(
        toLength: max(28, result.kind.count), withPad: " ", startingAt: 0)
      print(
        String(
          format: "  %3d/%d  %@ %6d steps  %7.0f steps/s  %6.2f s  %5.1f GFLOP/s", index + 1,
          total, kind, result.config.iterations, result.stepsPerSecond, result.seconds,
          result.gflops))
      fflush(nil)
    }
    let sorted = results.sorted { $0.stepsPerSecond < $1.stepsPerSecond }
    guard let worst = sorted.first, let best = sorted.last else { return }
    let median = sorted[sorted.count / 2]
    for (name, result) in [("worst", worst), ("median", median), ("best", best)] {
      print(
        String(
          format: "%@ %7.0f steps/s  %@", name.padding(toLength: 9, withPad: " ", startingAt: 0),
          result.stepsPerSecond, result.kind))
    }
    var secondsByKind: [TrainingConfig: Double] = [:]
    for result in results {
      var key = result.config
      key.seed = 0
      secondsByKind[key] = result.seconds
    }
    let cellSeconds = cells.map { cell -> Double in
      var key = cell.config
      key.seed = 0
      return secondsByKind[key] ?? 0
    }
    let wall = projectedWallSeconds(cellSeconds: cellSeconds, jobs: jobs)
    print(
      "projected \(formatDuration(wall)) wall for \(cells.count) cells with --jobs \(jobs) "
        + "(\(formatDuration(cellSeconds.reduce(0, +))) of cell time; assumes a free core per job)")
  }
}

/// The cells of sweeps/paper.yaml's grid: 5 losses × 3 θ × batch norm × 2 optimizers × 3 seeds
/// at the default (published) parameters.
func paperGridCells() -> [Cell] {
  var cells: [Cell] = []
  for loss in Loss.allCases {
    for theta in [0.05, 0.5, 0.95] {
      for batchNorm in [false, true] {
        for optimizer in OptimizerKind.allCases {
          for seed in 1...3 {
            var config = TrainingConfig()
            config.loss = loss
            config.theta = theta
            config.batchNorm = batchNorm
            config.optimizer = optimizer
            config.seed = UInt64(seed)
            cells.append(Cell(config: config))
          }
        }
      }
    }
  }
  return cells
}
