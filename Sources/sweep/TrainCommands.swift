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

  func validate() throws {
    if dumpState != nil && state == nil {
      throw ValidationError("--dump-state needs --state FILE.json")
    }
    if state != nil && dumpState == nil {
      throw ValidationError("--state needs --dump-state STEP")
    }
    try checkFlag("--dump-state", dumpState, in: FlagRange.steps)
  }

  func run() throws {
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
      let dump = Trainer.stateDump(config: config, atStep: step)
      try writeAtomically(Array(stateDumpJSON(dump).prettyText.utf8), to: path)
      print("wrote the state of step \(step) to \(path)")
      return
    }
    var ndjson: [UInt8] = []
    var final: StepRecord?
    var best: (accuracy: Double, step: Int)?
    var lastAccuracy: (accuracy: Double, step: Int)?
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = Trainer(config: config).run { record in
      if out != nil { ndjson.append(contentsOf: ndjsonLine(record, track: config.track).utf8) }
      if let accuracy = record.accuracy {
        lastAccuracy = (accuracy, record.step)
        if accuracy > best?.accuracy ?? -1 { best = (accuracy, record.step) }
      }
      final = record
    }
    let wall = seconds(clock.now - start)
    if let out { try writeAtomically(try gzip(ndjson), to: out) }
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
    "losses": .array(
      dump.losses.map {
        .object([
          "loss": .string($0.loss.rawValue), "value": JSONValue(float: $0.value),
          "grad_norm": JSONValue(float: $0.gradNorm), "gradients": .array($0.gradients.map(tensor)),
        ])
      }),
  ])
}

struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure the core's single-threaded speed on the reference cell.")

  @Option(help: "Training steps per measurement.") var iterations = 2000
  @Option(help: "Measurements per case; the median is reported.") var repeats = 5

  func validate() throws {
    try checkFlag("--iterations", iterations, in: FlagRange.benchIterations)
    try checkFlag("--repeats", repeats, in: FlagRange.benchRepeats)
  }

  func run() throws {
    print("single-threaded core benchmark: \(iterations) steps, median of \(repeats)")
    for result in runCoreBenchmarks(iterations: iterations, repeats: repeats) {
      let name = result.name.padding(toLength: 44, withPad: " ", startingAt: 0)
      print(
        String(
          format: "%@ %8.0f steps/s  %6.2f GFLOP/s", name, result.stepsPerSecond, result.gflops))
    }
  }
}
