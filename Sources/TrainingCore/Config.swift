// The resolved configuration of one cell and the record the core yields per logged step.
// Defaults are the published reference experiment.

/// The version of the core's numerical semantics. It is part of every cell id: bump it whenever
/// a change can alter any step record for some config, and regenerate the golden manifest.
public let coreSemanticsVersion = "3"

/// The five losses of the experiment, in their canonical order.
public enum Loss: String, CaseIterable, Sendable, Hashable, Comparable {
  case cce
  case dice
  case diceSquare = "dice_square"
  case dicefg
  case dicefgSquare = "dicefg_square"

  /// The position in `Loss.allCases`; used to order columns and arrays.
  public var index: Int {
    switch self {
    case .cce: 0
    case .dice: 1
    case .diceSquare: 2
    case .dicefg: 3
    case .dicefgSquare: 4
    }
  }

  public static func < (a: Loss, b: Loss) -> Bool { a.index < b.index }
}

/// How batch norm normalises at evaluation.
public enum BatchNormEvaluation: String, CaseIterable, Sendable, Hashable {
  /// The moving mean and variance updated on every training step, as TensorFlow evaluates with
  /// `training=False` (the original experiment).
  case moving
  /// The statistics of the validation batch itself.
  case batch
}

/// The optimizer that applies the training loss's gradient.
public enum OptimizerKind: String, CaseIterable, Sendable, Hashable {
  case adam
  case sgd
}

/// Every parameter of one training run. A value of this type plus the core version fully
/// determines the record stream.
public struct TrainingConfig: Sendable, Hashable {
  /// The loss whose gradient trains the model.
  public var loss: Loss = .cce
  /// Foreground threshold: a pixel is foreground when its value exceeds `theta`.
  public var theta: Double = 0.5
  public var batchNorm: Bool = false
  /// Which statistics batch norm uses at evaluation.
  public var bnEval: BatchNormEvaluation = .moving
  /// The moving averages' momentum: `moving = moving − (moving − batch)·(1 − momentum)`.
  public var bnMomentum: Double = 0.99
  public var optimizer: OptimizerKind = .adam
  public var learningRate: Double = 1.0e-3
  /// Adam's first- and second-moment decay rates and its epsilon (TensorFlow's defaults).
  public var beta1: Double = 0.9
  public var beta2: Double = 0.999
  public var adamEpsilon: Double = 1.0e-8
  /// Number of training steps; steps are numbered 0..<iterations.
  public var iterations: Int = 10_001
  public var batchSize: Int = 2
  public var imageSize: Int = 32
  /// Number of fixed validation images.
  public var evalImages: Int = 100
  /// Validation accuracy is recorded on steps that are multiples of this.
  public var evalEvery: Int = 250
  /// A record is kept for steps that are multiples of this (plus eval steps and the last step).
  public var logEvery: Int = 1
  /// Number of 3×3 conv blocks before the 1×1 output conv.
  public var convLayers: Int = 2
  /// Output channels of each 3×3 conv.
  public var filters: Int = 4
  /// The losses whose values and gradient norms are recorded, in canonical order.
  public var track: [Loss] = Loss.allCases
  /// The cell seed; every random stream of the run derives from it.
  public var seed: UInt64 = 0

  public init() {}
}

/// What the core records for one logged step. Arrays are indexed like `TrainingConfig.track`.
/// Non-finite values are kept as they are; writers turn them into `null`.
public struct StepRecord: Sendable, Equatable {
  public var step: Int
  /// Value of each tracked loss on this step's batch, before the update.
  public var losses: [Float]
  /// Global L2 norm of each tracked loss's gradient over all trainable parameters.
  public var gradNorms: [Float]
  /// Validation pixel accuracy after this step's update, on eval steps only.
  public var accuracy: Double?

  public init(step: Int, losses: [Float], gradNorms: [Float], accuracy: Double?) {
    self.step = step
    self.losses = losses
    self.gradNorms = gradNorms
    self.accuracy = accuracy
  }
}

/// How a run ended.
public enum RunStatus: Sendable, Equatable {
  case ok
  /// A tracked loss, a gradient norm or the training gradient was non-finite at `step`;
  /// training stopped there.
  case diverged(step: Int)
}
