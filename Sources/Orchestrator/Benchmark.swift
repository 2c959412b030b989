// Speed of the real job: whole cells (every step, every evaluation) of each distinct kind in a
// sweep, timed on one thread, and the sweep's wall time projected from them for N workers.

import Artifacts
import Foundation
import SweepSpec
import TrainingCore

/// The timing of one kind of cell: one config of the sweep at one seed, run whole.
public struct CellBenchmark: Sendable {
  /// The parameters that vary across the sweep's kinds, e.g. "cce θ0.95 bn=off adam".
  public var kind: String
  public var config: TrainingConfig
  /// Thread CPU seconds of each repeat of the whole cell, in run order.
  public var samples: [Double]

  /// The median over the repeats.
  public var seconds: Double { samples.sorted()[samples.count / 2] }
  /// Training steps per second of the median repeat (evaluations included in the time).
  public var stepsPerSecond: Double { Double(config.iterations) / max(seconds, 1e-9) }
  /// GFLOP/s of the median repeat by `estimatedFLOPs(of:)`.
  public var gflops: Double { estimatedFLOPs(of: config) / max(seconds, 1e-9) / 1e9 }
}

/// The distinct kinds of cell in `cells`: one config per set of parameters other than the seed,
/// at its first seed, in expansion order.
public func benchmarkKinds(of cells: [Cell]) -> [TrainingConfig] {
  var seen = Set<TrainingConfig>()
  var kinds: [TrainingConfig] = []
  for cell in cells {
    var key = cell.config
    key.seed = 0
    if seen.insert(key).inserted { kinds.append(cell.config) }
  }
  return kinds
}

/// A short label of `config` naming the parameters that differ across `kinds`.
public func benchmarkLabel(_ config: TrainingConfig, among kinds: [TrainingConfig]) -> String {
  let canonical = Parameters.canonical(config)
  guard case .object(let fields) = canonical else { return "" }
  var varying: [String] = []
  let all = kinds.map(Parameters.canonical)
  for key in fields.keys.sorted() where key != "seed" {
    let values = Set(
      all.compactMap { value -> String? in
        guard case .object(let other) = value else { return nil }
        return other[key]?.canonicalText
      })
    if values.count > 1 { varying.append(key) }
  }
  let order = ["loss", "theta", "batch_norm", "optimizer"]
  varying.sort { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
  return varying.map { key -> String in
    let text = fields[key].map(Parameters.displayText) ?? "?"
    switch key {
    case "loss", "optimizer": return text
    case "theta": return "θ" + text
    case "batch_norm": return "bn=" + (text == "true" ? "on" : "off")
    default: return key + "=" + text
    }
  }.joined(separator: " ")
}

/// Runs every config in `kinds` whole, `repeats` times each, on `threads` threads at once (each
/// takes the next kind), each run timed by its own thread's CPU time so other work on a shared
/// machine distorts the figures less. `progress` is called after each kind, one call at a time,
/// in the order kinds finish; the results are in the order of `kinds`.
public func runCellBenchmarks(
  _ kinds: [TrainingConfig], kernels: KernelSet = .best, repeats: Int = 1, threads: Int = 1,
  progress: @escaping @Sendable (Int, CellBenchmark) -> Void = { _, _ in }
) -> [CellBenchmark] {
  let state = BenchmarkQueue(count: kinds.count)
  DispatchQueue.concurrentPerform(iterations: max(1, min(threads, kinds.count))) { _ in
    while let index = state.next() {
      let config = kinds[index]
      var samples: [Double] = []
      for _ in 0..<max(repeats, 1) {
        let trainer = Trainer(config: config, kernels: kernels)
        var sink = 0
        let seconds = measureThreadSeconds { _ = trainer.run { sink &+= $0.step } }
        precondition(sink >= 0)
        samples.append(seconds)
      }
      let result = CellBenchmark(
        kind: benchmarkLabel(config, among: kinds), config: config, samples: samples)
      state.finish(index, result, progress: progress)
    }
  }
  return state.results.compactMap { $0 }
}

/// The kinds still to time and the results so far, shared by the benchmark threads.
private final class BenchmarkQueue: @unchecked Sendable {
  private let lock = NSLock()
  private var nextIndex = 0
  private(set) var results: [CellBenchmark?]

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func next() -> Int? {
    lock.withLock {
      guard nextIndex < results.count else { return nil }
      defer { nextIndex += 1 }
      return nextIndex
    }
  }

  func finish(
    _ index: Int, _ result: CellBenchmark, progress: (Int, CellBenchmark) -> Void
  ) {
    lock.withLock {
      results[index] = result
      progress(index, result)
    }
  }
}

/// The wall time of running cells that take `seconds` each on `jobs` workers, longest first,
/// each free worker taking the next cell (the orchestrator's schedule).
public func projectedWallSeconds(cellSeconds: [Double], jobs: Int) -> Double {
  var workers = [Double](repeating: 0, count: max(jobs, 1))
  for seconds in cellSeconds.sorted(by: >) {
    var earliest = 0
    for i in workers.indices where workers[i] < workers[earliest] { earliest = i }
    workers[earliest] += seconds
  }
  return workers.max() ?? 0
}

/// The CPU's model name, vendor and the vector features the kernels care about, from
/// /proc/cpuinfo where it exists (the envelope's reading).
public func cpuDescription() -> String {
  let cpu = cpuInfo()
  let vendorText = cpu.vendor == "unknown" ? "" : " (\(cpu.vendor))"
  return cpu.model + vendorText + (cpu.flags.isEmpty ? "" : ", " + cpu.flags.joined(separator: " "))
}

/// Seconds `body` takes: the calling thread's CPU time if the clock is available, else wall time.
func measureThreadSeconds(_ body: () -> Void) -> Double {
  var start = timespec()
  var end = timespec()
  let wallStart = ContinuousClock.now
  let startOK = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start) == 0
  body()
  if startOK && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end) == 0 {
    return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) * 1e-9
  }
  let elapsed = ContinuousClock.now - wallStart
  return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}
