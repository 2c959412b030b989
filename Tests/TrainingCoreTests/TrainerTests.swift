// Tests for the training loop: determinism, stream independence, record timing, divergence and
// that it learns.

import Testing

@testable import TrainingCore

private func records(_ config: TrainingConfig) -> ([StepRecord], RunOutcome) {
  var out: [StepRecord] = []
  let outcome = Trainer(config: config).run { out.append($0) }
  return (out, outcome)
}

@Test(arguments: [false, true])
func sameConfigGivesIdenticalRecords(_ batchNorm: Bool) {
  let config = smallConfig(loss: .dice, batchNorm: batchNorm, iterations: 12)
  let (a, outcomeA) = records(config)
  let (b, outcomeB) = records(config)
  #expect(a == b)
  #expect(outcomeA == outcomeB && outcomeA == RunOutcome(status: .ok, stepsRun: 12))
  // A second run on the same trainer restarts from the seed.
  let trainer = Trainer(config: config)
  var first: [StepRecord] = []
  var second: [StepRecord] = []
  _ = trainer.run { first.append($0) }
  _ = trainer.run { second.append($0) }
  #expect(first == a && second == a)
}

@Test func differentSeedsDiffer() {
  let (a, _) = records(smallConfig(seed: 1))
  let (b, _) = records(smallConfig(seed: 2))
  #expect(a.map(\.losses) != b.map(\.losses))
}

@Test func evalImagesDoNotChangeTraining() {
  var config = smallConfig()
  let (a, _) = records(config)
  config.evalImages = 7
  let (b, _) = records(config)
  #expect(a.map(\.losses) == b.map(\.losses))
  #expect(a.map(\.gradNorms) == b.map(\.gradNorms))
  #expect(a.compactMap(\.accuracy) != b.compactMap(\.accuracy))
}

/// The evaluation runs the validation set a chunk of images at a time; any chunk size, a whole
/// number of chunks or not, gives the accuracies of one batch of all (batch norm's batch
/// statistics always take the whole set).
@Test(arguments: [(false, BatchNormEvaluation.moving), (true, .moving), (true, .batch)])
func evaluationInChunksGivesTheAccuracyOfOneBatch(_ batchNorm: Bool, _ bnEval: BatchNormEvaluation)
{
  for filters in [3, 4] {  // 4: the wide conv rows; 3: the SIMD4 and scalar paths
    var config = smallConfig(batchNorm: batchNorm, iterations: 11)
    config.imageSize = 8
    config.filters = filters
    config.evalImages = 7
    config.bnEval = bnEval
    func accuracies(chunkPositions: Int) -> [Double] {
      var out: [Double] = []
      let trainer = Trainer(config: config, kernels: .best, evalChunkPositions: chunkPositions)
      _ = trainer.run { if let a = $0.accuracy { out.append(a) } }
      return out
    }
    let whole = accuracies(chunkPositions: 7 * 64)
    #expect(whole.count == 3 && Set(whole).count > 1)
    for positions in [1, 64, 2 * 64, 3 * 64 + 10, 100 * 64] {
      #expect(accuracies(chunkPositions: positions) == whole, "\(positions) positions per chunk")
    }
  }
}

@Test func batchSizeDoesNotChangeValidationSetOrInitialWeights() {
  var config = smallConfig(iterations: 1)
  config.learningRate = 0
  let (a, _) = records(config)
  config.batchSize = 3
  let (b, _) = records(config)
  // No update happens with learning rate 0, so accuracy depends only on weights and the set.
  #expect(a[0].accuracy != nil && a[0].accuracy == b[0].accuracy)
}

@Test func recordTimingAndLogEvery() {
  var config = smallConfig(iterations: 23)
  config.evalEvery = 5
  let (all, _) = records(config)
  #expect(all.map(\.step) == Array(0..<23))
  #expect(all.filter { $0.accuracy != nil }.map(\.step) == [0, 5, 10, 15, 20])
  config.logEvery = 7
  let (sparse, _) = records(config)
  #expect(sparse.map(\.step) == [0, 5, 7, 10, 14, 15, 20, 21, 22])
  // logEvery never changes training.
  #expect(sparse == all.filter { sparse.map(\.step).contains($0.step) })
}

@Test func trackedLossesOnlyAndTrainingLossUntracked() {
  var config = smallConfig(loss: .dicefg, iterations: 6)
  let (full, _) = records(config)
  config.track = [.cce, .diceSquare]
  let (partial, _) = records(config)
  #expect(partial.allSatisfy { $0.losses.count == 2 && $0.gradNorms.count == 2 })
  // Training is the same whatever is tracked.
  #expect(partial.map(\.losses) == full.map { [$0.losses[0], $0.losses[2]] })
  #expect(partial.map(\.gradNorms) == full.map { [$0.gradNorms[0], $0.gradNorms[2]] })
}

@Test func divergenceStopsWithTheRecordOfThatStep() {
  var config = smallConfig(loss: .cce, iterations: 50)
  // An infinite step makes the weights ±inf (or NaN where the gradient is 0) after step 0.
  config.optimizer = .sgd
  config.learningRate = .infinity
  let (out, outcome) = records(config)
  guard case .diverged(let step) = outcome.status else {
    Issue.record("expected divergence, got \(outcome)")
    return
  }
  #expect(step == 1)
  #expect(outcome.stepsRun == step + 1)
  #expect(out.last?.step == step)
  #expect(out.last?.accuracy == nil)
  let last = out.last.map { $0.losses + $0.gradNorms } ?? []
  #expect(last.contains { !$0.isFinite })
  #expect(out.dropLast().allSatisfy { r in (r.losses + r.gradNorms).allSatisfy { $0.isFinite } })
}

@Test func itLearnsTheThreshold() {
  var config = TrainingConfig()
  config.theta = 0.5
  config.loss = .cce
  config.track = [.cce]
  config.imageSize = 8
  config.batchSize = 2
  config.learningRate = 1e-2
  config.iterations = 301
  config.evalImages = 10
  config.evalEvery = 100
  config.logEvery = 100
  let (out, outcome) = records(config)
  #expect(outcome.status == .ok)
  let accuracies = out.compactMap(\.accuracy)
  #expect(accuracies.count == 4)
  // Majority-class baseline is ≈ 0.5 at θ = 0.5; a learnt threshold gets well above 0.9.
  #expect((accuracies.last ?? 0) > 0.9, "accuracies \(accuracies)")
  #expect((out.last?.losses[0] ?? 1) < out[0].losses[0])
}

@Test(arguments: [(0, 3, false), (1, 1, true), (2, 5, true), (1, 8, false)])
func unusualShapesRunAndStayFinite(_ convLayers: Int, _ imageSize: Int, _ batchNorm: Bool) {
  var config = smallConfig(batchNorm: batchNorm, iterations: 4)
  config.convLayers = convLayers
  config.imageSize = imageSize
  config.filters = imageSize == 8 ? 8 : 3
  let (out, outcome) = records(config)
  #expect(outcome == RunOutcome(status: .ok, stepsRun: 4))
  #expect(out.count == 4)
  #expect(out.allSatisfy { r in (r.losses + r.gradNorms).allSatisfy { $0.isFinite } })
}
