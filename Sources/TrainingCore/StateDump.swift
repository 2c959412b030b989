// A full inspection dump of one step (weights, batch, logits, every loss and gradient), so the
// core can be checked tensor by tensor against another framework.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// The state used by step `step` (weights before its update), its batch, logits, losses and
/// full gradients.
public struct StateDump: Sendable {
  /// A named tensor: shape and values in row-major order.
  public struct Tensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
      self.name = name
      self.shape = shape
      self.values = values
    }
  }

  /// One loss at the dumped step: its value, its gradient per parameter tensor, and its norm.
  public struct LossDump: Sendable, Equatable {
    public var loss: Loss
    public var value: Float
    public var gradients: [Tensor]
    public var gradNorm: Float
  }

  public var step: Int
  public var config: TrainingConfig
  /// "conv1/kernel" [3,3,cin,cout], "conv1/bias" or "bn1/gamma", "bn1/beta", …,
  /// "output/kernel" [1,1,cin,2], "output/bias" [2].
  public var parameters: [Tensor]
  /// [B,H,W,1]
  public var inputs: Tensor
  /// [B,H,W,2] one-hot
  public var labels: Tensor
  /// [B,H,W,2]
  public var logits: Tensor
  /// Batch norm's moving averages that step `step` starts from (before its update):
  /// "bn1/moving_mean" [F], "bn1/moving_variance" [F], …; empty without batch norm.
  public var movingStatistics: [Tensor]
  /// Every tracked loss plus the training loss, in canonical order.
  public var losses: [LossDump]
}

extension Trainer {
  /// Runs steps 0..<step (updates only, no evaluation, no divergence stop) and captures step
  /// `step`.
  public static func stateDump(
    config: TrainingConfig, atStep step: Int, kernels: KernelSet = .best
  ) -> StateDump {
    withSubnormalsFlushed { dump(config: config, atStep: step, kernels: kernels) }
  }

  private static func dump(config: TrainingConfig, atStep step: Int, kernels: KernelSet)
    -> StateDump
  {
    let trainer = Trainer(config: config, kernels: kernels)
    trainer.reset()
    for i in 0..<step {
      trainer.computeStep()
      trainer.update(step: i)
    }
    let P = trainer.layout.parameterCount
    let snapshot = trainer.layout.entries.map { entry in
      StateDump.Tensor(
        name: entry.name, shape: entry.shape,
        values: Array(UnsafeBufferPointer(start: trainer.params + entry.offset, count: entry.count))
      )
    }
    let F = trainer.layout.filters
    var moving: [StateDump.Tensor] = []
    for l in 0..<trainer.moving.mean.count {
      moving.append(
        StateDump.Tensor(
          name: "bn\(l + 1)/moving_mean", shape: [F],
          values: Array(UnsafeBufferPointer(start: trainer.moving.mean[l], count: F))))
      moving.append(
        StateDump.Tensor(
          name: "bn\(l + 1)/moving_variance", shape: [F],
          values: Array(UnsafeBufferPointer(start: trainer.moving.variance[l], count: F))))
    }
    trainer.computeStep()
    let acts = trainer.train
    let size = config.imageSize
    let B = config.batchSize
    func tensor(_ name: String, _ p: UnsafePointer<Float>, _ channels: Int) -> StateDump.Tensor {
      StateDump.Tensor(
        name: name, shape: [B, size, size, channels],
        values: Array(UnsafeBufferPointer(start: p, count: acts.N * channels)))
    }
    let losses = trainer.backpropagated.map { loss in
      let g = trainer.grads + loss.index * P
      return StateDump.LossDump(
        loss: loss, value: trainer.lossValues[loss.index],
        gradients: trainer.layout.entries.map { entry in
          StateDump.Tensor(
            name: entry.name, shape: entry.shape,
            values: Array(UnsafeBufferPointer(start: g + entry.offset, count: entry.count)))
        },
        gradNorm: trainer.gradNorms[loss.index])
    }
    return StateDump(
      step: step, config: config, parameters: snapshot, inputs: tensor("inputs", acts.input, 1),
      labels: tensor("labels", acts.labels, 2), logits: tensor("logits", acts.logits, 2),
      movingStatistics: moving, losses: losses)
  }
}
