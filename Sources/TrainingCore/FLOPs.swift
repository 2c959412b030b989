// Floating-point operation estimates, for planning and for GFLOP/s figures. A multiply-add
// counts 2; elementwise layers count a few per value.

/// FLOPs of one forward pass over `images` images.
func forwardFLOPs(of config: TrainingConfig, images: Int) -> Double {
  let n = Double(images * config.imageSize * config.imageSize)
  let f = Double(config.filters)
  var total = 0.0
  for l in 0..<config.convLayers {
    let cin = l == 0 ? 1.0 : f
    total += 2 * n * 9 * cin * f  // 3×3 conv
    total += config.batchNorm ? 8 * n * f : n * f  // batch norm or bias
    total += n * f  // ReLU
  }
  let last = config.convLayers == 0 ? 1.0 : f
  total += 2 * n * last * 2 + 2 * n  // 1×1 conv + bias
  total += 10 * n  // softmax over 2 channels
  return total
}

/// FLOPs of one backward pass from one loss over `images` images.
func backwardFLOPs(of config: TrainingConfig, images: Int) -> Double {
  let n = Double(images * config.imageSize * config.imageSize)
  let f = Double(config.filters)
  var total = 20 * n  // loss and softmax backward
  let last = config.convLayers == 0 ? 1.0 : f
  total += 2 * n * last * 2 * (config.convLayers > 0 ? 2 : 1)  // 1×1 conv dWeight (+ dInput)
  for l in 0..<config.convLayers {
    let cin = l == 0 ? 1.0 : f
    total += 2 * n * 9 * cin * f * (l > 0 ? 2 : 1)  // dWeight, plus dInput above layer 1
    total += config.batchNorm ? 10 * n * f : n * f  // batch norm or bias
    total += n * f  // ReLU
  }
  return total
}

/// FLOPs of one training step with the configured tracking (no evaluation).
public func flopsPerStep(of config: TrainingConfig) -> Double {
  let backpropagated = Loss.allCases.filter { config.track.contains($0) || $0 == config.loss }
  let b = config.batchSize
  return forwardFLOPs(of: config, images: b)
    + Double(backpropagated.count) * backwardFLOPs(of: config, images: b)
}

/// FLOPs of the whole cell: every training step plus every evaluation.
public func estimatedFLOPs(of config: TrainingConfig) -> Double {
  let steps = max(config.iterations, 0)
  let evaluations = steps == 0 ? 0 : (steps - 1) / max(config.evalEvery, 1) + 1
  return Double(steps) * flopsPerStep(of: config)
    + Double(evaluations) * forwardFLOPs(of: config, images: config.evalImages)
}
