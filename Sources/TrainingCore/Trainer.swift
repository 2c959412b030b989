// The training loop of one cell: draw a batch, forward once, every needed loss's value, gradient
// and norm, update with the training loss, evaluate on eval steps, yield records.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// How a run ended and how many steps it computed.
public struct RunOutcome: Sendable, Equatable {
  public var status: RunStatus
  /// Steps whose record was computed: `iterations` when ok, `step + 1` when diverged at `step`.
  public var stepsRun: Int

  public init(status: RunStatus, stepsRun: Int) {
    self.status = status
    self.stepsRun = stepsRun
  }
}

/// Trains one cell. All buffers are allocated in `init`; `run` restarts from the seed each time.
public final class Trainer {
  let config: TrainingConfig
  /// The compiled kernel variant this trainer runs (bit-identical results either way).
  public let kernels: KernelSet
  let layout: ModelLayout
  /// The losses that need a backward pass: tracked ones plus the training loss, canonical order.
  let backpropagated: [Loss]
  private let arena: FloatArena
  let params: UnsafeMutablePointer<Float>  // (P)
  /// One gradient slice of P values per loss, indexed by `Loss.index`: (5,P).
  let grads: UnsafeMutablePointer<Float>
  private let adamM: UnsafeMutablePointer<Float>  // (P)
  private let adamV: UnsafeMutablePointer<Float>  // (P)
  /// Batch norm's moving averages per conv layer (F each); empty without batch norm.
  let moving: MovingStatistics
  let train: Activations
  /// The activation gradients of the two losses a backward pass runs side by side (the second
  /// only when more than one loss is backpropagated).
  private let trainGrads: [ActivationGradients]
  /// The validation set, drawn once per run: images (evalImages·H·W) and one-hot labels (2 per
  /// pixel).
  private let validationImages: UnsafeMutablePointer<Float>
  private let validationLabels: UnsafeMutablePointer<Float>
  /// The evaluation's buffers: a chunk of whole validation images (`evalChunkPositions`), and the
  /// rest of the set if it is not a whole number of chunks. Evaluation with the validation
  /// batch's own statistics (`bn_eval: batch`) takes the whole set as one chunk.
  private let evalChunk: Activations?
  private let evalRest: Activations?
  /// Room for cross-entropy's terms on a training batch (`LossSums`), one per position.
  private let lossTerms: UnsafeMutablePointer<Float>
  private var batchStream: Xoshiro256StarStar
  /// Losses and gradient norms of the current step, indexed by `Loss.index`.
  var lossValues = [Float](repeating: 0, count: Loss.allCases.count)
  var gradNorms = [Float](repeating: 0, count: Loss.allCases.count)

  /// Sets up a trainer for `config` (sizes must be positive; `convLayers` may be 0), running the
  /// `kernels` variant (the fastest this CPU runs by default; results are the same bits).
  public convenience init(config: TrainingConfig, kernels: KernelSet = .best) {
    self.init(config: config, kernels: kernels, evalChunkPositions: 2048)
  }

  /// `evalChunkPositions`: about how many positions the evaluation runs at a time (whole images,
  /// at least one). The default, about a training batch's, keeps every layer's buffers in the
  /// core's cache, where a whole validation set's (1.6 MB per layer at 100 images of 32×32) would
  /// not be; the results are the same bits at any size.
  init(config: TrainingConfig, kernels: KernelSet, evalChunkPositions: Int) {
    precondition(
      config.iterations >= 0 && config.batchSize > 0 && config.imageSize > 0
        && config.evalImages >= 0 && config.evalEvery > 0 && config.logEvery > 0
        && config.convLayers >= 0 && config.filters > 0,
      "invalid TrainingConfig")
    self.config = config
    self.kernels = KernelSet.available.contains(kernels) ? kernels : .portable
    layout = ModelLayout(config: config)
    backpropagated = Loss.allCases.filter { config.track.contains($0) || $0 == config.loss }
    let P = layout.parameterCount
    let movingCount = config.batchNorm ? 2 * layout.layers * layout.filters : 0
    let size = config.imageSize
    let validationPixels = config.evalImages * size * size
    arena = FloatArena(
      capacity: 8 * P + movingCount + 3 * validationPixels + config.batchSize * size * size,
      slices: 7 + movingCount / max(layout.filters, 1))
    params = arena.take(P)
    grads = arena.take(5 * P)
    adamM = arena.take(P)
    adamV = arena.take(P)
    var moving = MovingStatistics()
    if config.batchNorm {
      for _ in 0..<layout.layers {
        moving.mean.append(arena.take(layout.filters))
        moving.variance.append(arena.take(layout.filters))
      }
    }
    self.moving = moving
    validationImages = arena.take(validationPixels)
    validationLabels = arena.take(2 * validationPixels)
    lossTerms = arena.take(config.batchSize * size * size)
    train = Activations(layout: layout, B: config.batchSize, H: size, W: size)
    let N = train.N
    trainGrads = (0..<min(backpropagated.count, 2)).map { [layout] _ in
      ActivationGradients(layout: layout, N: N)
    }
    let wholeSet = config.batchNorm && config.bnEval == .batch
    let chunk =
      wholeSet
      ? config.evalImages : min(config.evalImages, max(1, evalChunkPositions / (size * size)))
    let rest = chunk > 0 ? config.evalImages % chunk : 0
    evalChunk =
      chunk > 0 ? Activations(layout: layout, B: chunk, H: size, W: size, backward: false) : nil
    evalRest =
      rest > 0 ? Activations(layout: layout, B: rest, H: size, W: size, backward: false) : nil
    batchStream = Xoshiro256StarStar(seed: config.seed, stream: .training)
  }

  /// Restores the state before step 0: initial weights, zero optimizer moments, fresh streams,
  /// and the validation set.
  func reset() {
    var weightStream = Xoshiro256StarStar(seed: config.seed, stream: .weights)
    initializeParameters(params, layout: layout, rng: &weightStream)
    zero(adamM, layout.parameterCount)
    zero(adamV, layout.parameterCount)
    for l in 0..<moving.mean.count {
      for c in 0..<layout.filters {
        moving.mean[l][c] = 0
        moving.variance[l][c] = 1
      }
    }
    batchStream = Xoshiro256StarStar(seed: config.seed, stream: .training)
    if config.evalImages > 0 {
      var validationStream = Xoshiro256StarStar(seed: config.seed, stream: .validation)
      drawImages(
        images: validationImages, labels: validationLabels,
        pixels: config.evalImages * config.imageSize * config.imageSize,
        theta: Float(config.theta), rng: &validationStream)
    }
  }

  /// Draws the next batch, runs forward, and computes every backpropagated loss's value,
  /// gradient (into its slice of `grads`) and gradient norm.
  func computeStep() {
    drawImages(
      images: train.input, labels: train.labels, pixels: train.N, theta: Float(config.theta),
      rng: &batchStream)
    modelForward(params: params, layout: layout, acts: train, kernels: kernels)
    let P = layout.parameterCount
    zero(grads, 5 * P)
    // Every loss's serial sums in one pass (independent chains side by side, same bits).
    let sums = LossSums(
      probs: train.probs, labels: train.labels, N: train.N,
      crossEntropyTerms: backpropagated.contains(.cce) ? lossTerms : nil, kernels: kernels)
    // Two losses at a time through the network (independent sums side by side, same bits).
    for pairStart in stride(from: 0, to: backpropagated.count, by: 2) {
      let pair = backpropagated[pairStart..<min(pairStart + 2, backpropagated.count)]
      for (loss, g) in zip(pair, trainGrads) {
        lossValues[loss.index] = lossForwardBackward(
          loss, dProbs: g.dProbs, probs: train.probs, labels: train.labels, N: train.N,
          sums: sums, kernels: kernels)
        softmaxBackward(
          kernels, dLogits: g.dLogits, dProbs: g.dProbs, probs: train.probs, N: train.N, C: 2)
      }
      let first = pair[pairStart]
      let second = pair.count == 2 ? pair[pairStart + 1] : nil
      modelBackward(
        dParams: grads + first.index * P, grads: trainGrads[0], params: params, layout: layout,
        acts: train, kernels: kernels,
        second: second.map { (grads + $0.index * P, trainGrads[1]) })
    }
    let norms = globalNorms(grads, P: P)
    for loss in backpropagated { gradNorms[loss.index] = norms[loss.index] }
  }

  /// Applies step `step`'s update with the training loss's gradient, and folds the step's batch
  /// statistics into batch norm's moving averages.
  func update(step: Int) {
    for l in 0..<moving.mean.count {
      batchNormUpdateMovingAverages(
        movingMean: moving.mean[l], movingVariance: moving.variance[l],
        batchMean: train.mean[l], batchVariance: train.variance[l],
        momentum: config.bnMomentum, N: train.N, C: layout.filters)
    }
    let P = layout.parameterCount
    let g = grads + config.loss.index * P
    switch config.optimizer {
    case .adam:
      let stepSize = adamStepSize(
        learningRate: config.learningRate, beta1: config.beta1, beta2: config.beta2, t: step + 1)
      adamUpdate(
        params: params, m: adamM, v: adamV, grads: g, count: P, stepSize: stepSize,
        beta1: Float(config.beta1), beta2: Float(config.beta2), epsilon: Float(config.adamEpsilon))
    case .sgd:
      sgdUpdate(params: params, grads: g, count: P, learningRate: Float(config.learningRate))
    }
  }

  /// Validation pixel accuracy of the current weights; touches only the eval buffers. The
  /// validation images run a chunk at a time: every operation of the forward pass but batch
  /// norm's batch statistics is per position, so the logits are the bits of one batch of all.
  func validationAccuracy() -> Double? {
    guard let evalChunk else { return nil }
    let statistics = config.batchNorm && config.bnEval == .moving ? moving : nil
    let pixels = config.imageSize * config.imageSize
    var correct = 0
    var image = 0
    while image < config.evalImages {
      // Whole chunks, then the rest (made in init for exactly this remainder).
      guard let acts = image + evalChunk.B <= config.evalImages ? evalChunk : evalRest else {
        preconditionFailure("no evaluation buffers for the last images")
      }
      acts.input.update(from: validationImages + image * pixels, count: acts.N)
      modelForward(
        params: params, layout: layout, acts: acts, moving: statistics, kernels: kernels,
        probabilities: false)
      correct += correctPixels(
        logits: acts.logits, labels: validationLabels + 2 * image * pixels, N: acts.N)
      image += acts.B
    }
    return Double(correct) / Double(config.evalImages * pixels)
  }

  /// Runs all iterations, calling `onRecord` for each logged step, in order, with subnormals
  /// flushed to zero on this thread for the whole run.
  public func run(onRecord: (StepRecord) throws -> Void) rethrows -> RunOutcome {
    try withSubnormalsFlushed { try runSteps(onRecord: onRecord) }
  }

  private func runSteps(onRecord: (StepRecord) throws -> Void) rethrows -> RunOutcome {
    reset()
    let track = config.track
    let last = config.iterations - 1
    for step in 0..<config.iterations {
      computeStep()
      var record = StepRecord(
        step: step, losses: track.map { lossValues[$0.index] },
        gradNorms: track.map { gradNorms[$0.index] }, accuracy: nil)
      let finite =
        record.losses.allSatisfy(\.isFinite) && record.gradNorms.allSatisfy(\.isFinite)
        && gradNorms[config.loss.index].isFinite
      if !finite {
        try onRecord(record)
        return RunOutcome(status: .diverged(step: step), stepsRun: step + 1)
      }
      update(step: step)
      let isEval = step % config.evalEvery == 0
      if isEval { record.accuracy = validationAccuracy() }
      if isEval || step % config.logEvery == 0 || step == last { try onRecord(record) }
    }
    return RunOutcome(status: .ok, stepsRun: config.iterations)
  }
}
