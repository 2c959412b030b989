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
  let layout: ModelLayout
  /// The losses that need a backward pass: tracked ones plus the training loss, canonical order.
  let backpropagated: [Loss]
  private let arena: FloatArena
  let params: UnsafeMutablePointer<Float>  // (P)
  /// One gradient slice of P values per loss, indexed by `Loss.index`: (5,P).
  let grads: UnsafeMutablePointer<Float>
  private let adamM: UnsafeMutablePointer<Float>  // (P)
  private let adamV: UnsafeMutablePointer<Float>  // (P)
  let train: Activations
  private let trainGrads: ActivationGradients
  private let eval: Activations?
  private var batchStream: Xoshiro256StarStar
  /// Losses and gradient norms of the current step, indexed by `Loss.index`.
  var lossValues = [Float](repeating: 0, count: Loss.allCases.count)
  var gradNorms = [Float](repeating: 0, count: Loss.allCases.count)

  /// Sets up a trainer for `config` (sizes must be positive; `convLayers` may be 0).
  public init(config: TrainingConfig) {
    precondition(
      config.iterations >= 0 && config.batchSize > 0 && config.imageSize > 0
        && config.evalImages >= 0 && config.evalEvery > 0 && config.logEvery > 0
        && config.convLayers >= 0 && config.filters > 0,
      "invalid TrainingConfig")
    self.config = config
    layout = ModelLayout(config: config)
    backpropagated = Loss.allCases.filter { config.track.contains($0) || $0 == config.loss }
    let P = layout.parameterCount
    arena = FloatArena(capacity: 8 * P)
    params = arena.take(P)
    grads = arena.take(5 * P)
    adamM = arena.take(P)
    adamV = arena.take(P)
    let size = config.imageSize
    train = Activations(layout: layout, B: config.batchSize, H: size, W: size)
    trainGrads = ActivationGradients(layout: layout, N: train.N)
    eval =
      config.evalImages > 0
      ? Activations(layout: layout, B: config.evalImages, H: size, W: size, backward: false) : nil
    batchStream = Xoshiro256StarStar(seed: config.seed, stream: .training)
  }

  /// Restores the state before step 0: initial weights, zero optimizer moments, fresh streams,
  /// and the validation set.
  func reset() {
    var weightStream = Xoshiro256StarStar(seed: config.seed, stream: .weights)
    initializeParameters(params, layout: layout, rng: &weightStream)
    zero(adamM, layout.parameterCount)
    zero(adamV, layout.parameterCount)
    batchStream = Xoshiro256StarStar(seed: config.seed, stream: .training)
    if let eval {
      var validationStream = Xoshiro256StarStar(seed: config.seed, stream: .validation)
      drawImages(
        images: eval.input, labels: eval.labels, pixels: eval.N, theta: Float(config.theta),
        rng: &validationStream)
    }
  }

  /// Draws the next batch, runs forward, and computes every backpropagated loss's value,
  /// gradient (into its slice of `grads`) and gradient norm.
  func computeStep() {
    drawImages(
      images: train.input, labels: train.labels, pixels: train.N, theta: Float(config.theta),
      rng: &batchStream)
    modelForward(params: params, layout: layout, acts: train)
    let P = layout.parameterCount
    zero(grads, 5 * P)
    for loss in backpropagated {
      trainGrads.zeroAll()
      lossValues[loss.index] = lossForwardBackward(
        loss, dProbs: trainGrads.dProbs, probs: train.probs, labels: train.labels, N: train.N)
      softmaxBackward(
        dLogits: trainGrads.dLogits, dProbs: trainGrads.dProbs, probs: train.probs, N: train.N,
        C: 2)
      let dParams = grads + loss.index * P
      modelBackward(
        dParams: dParams, grads: trainGrads, params: params, layout: layout, acts: train)
      gradNorms[loss.index] = globalNorm(dParams, count: P)
    }
  }

  /// Applies step `step`'s update with the training loss's gradient.
  func update(step: Int) {
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

  /// Validation pixel accuracy of the current weights; touches only the eval buffers.
  func validationAccuracy() -> Double? {
    guard let eval else { return nil }
    modelForward(params: params, layout: layout, acts: eval)
    return pixelAccuracy(logits: eval.logits, labels: eval.labels, N: eval.N)
  }

  /// Runs all iterations, calling `onRecord` for each logged step, in order.
  public func run(onRecord: (StepRecord) throws -> Void) rethrows -> RunOutcome {
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
