// The CNN: convLayers × [3×3 conv (+bias without BN) → batch norm (optional) → ReLU] → 1×1 conv
// to 2 channels with bias → softmax. Parameters live in one flat buffer in a fixed order.
// Shapes are named as in the formulas (B, H, W, C, N, K), as llm.c does.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

/// Where one parameter tensor lives in the flat parameter buffer.
struct ParameterEntry {
  var name: String
  var shape: [Int]
  var offset: Int
  var count: Int { shape.reduce(1, *) }
}

/// The shapes of the network and the offsets of its parameters, from the config.
struct ModelLayout {
  let layers: Int
  let filters: Int
  let batchNorm: Bool
  /// Offsets into the parameter buffer, per conv layer; -1 when absent.
  var kernel: [Int] = []
  var bias: [Int] = []
  var gamma: [Int] = []
  var beta: [Int] = []
  var outputKernel = 0
  var outputBias = 0
  /// Every tensor in buffer order: conv1/kernel, conv1/bias | bn1/gamma, bn1/beta, …, output/….
  var entries: [ParameterEntry] = []
  /// The total number of trainable parameters (P).
  var parameterCount = 0

  init(config: TrainingConfig) {
    layers = config.convLayers
    filters = config.filters
    batchNorm = config.batchNorm
    var offset = 0
    func add(_ name: String, _ shape: [Int]) -> Int {
      let entry = ParameterEntry(name: name, shape: shape, offset: offset)
      entries.append(entry)
      offset += entry.count
      return entry.offset
    }
    for l in 0..<layers {
      let cin = l == 0 ? 1 : filters
      kernel.append(add("conv\(l + 1)/kernel", [3, 3, cin, filters]))
      if batchNorm {
        bias.append(-1)
        gamma.append(add("bn\(l + 1)/gamma", [filters]))
        beta.append(add("bn\(l + 1)/beta", [filters]))
      } else {
        bias.append(add("conv\(l + 1)/bias", [filters]))
        gamma.append(-1)
        beta.append(-1)
      }
    }
    let cin = layers == 0 ? 1 : filters
    outputKernel = add("output/kernel", [1, 1, cin, 2])
    outputBias = add("output/bias", [2])
    parameterCount = offset
  }

  /// Input channels of conv layer `l`.
  func inputChannels(_ l: Int) -> Int { l == 0 ? 1 : filters }

  /// Channels feeding the output conv.
  var lastChannels: Int { layers == 0 ? 1 : filters }
}

/// Glorot-uniform kernels (limit √(6/(fan_in+fan_out)), fan = K·K·channels), zero biases, γ = 1,
/// β = 0. Kernels draw in buffer order, each in (K,K,Cin,Cout) order: w = (2u − 1)·limit.
func initializeParameters(
  _ params: UnsafeMutablePointer<Float>, layout: ModelLayout, rng: inout Xoshiro256StarStar
) {
  zero(params, layout.parameterCount)
  for entry in layout.entries {
    if entry.name.hasSuffix("/kernel") {
      let k = entry.shape[0] * entry.shape[1]
      let limit = Float((6.0 / Double(k * entry.shape[2] + k * entry.shape[3])).squareRoot())
      for i in 0..<entry.count {
        params[entry.offset + i] = (2 * rng.nextFloat() - 1) * limit
      }
    } else if entry.name.hasSuffix("/gamma") {
      for i in 0..<entry.count { params[entry.offset + i] = 1 }
    }
  }
}

/// The forward activations of one batch of B images, allocated once.
final class Activations {
  let B: Int
  let H: Int
  let W: Int
  /// Positions B·H·W.
  let N: Int
  private let arena: FloatArena
  let input: UnsafeMutablePointer<Float>  // (B,H,W,1)
  let labels: UnsafeMutablePointer<Float>  // (B,H,W,2) one-hot
  var conv: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), conv output
  var xhat: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), BN normalised input
  var normed: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), BN output
  var mean: [UnsafeMutablePointer<Float>] = []  // per layer (F)
  var variance: [UnsafeMutablePointer<Float>] = []  // per layer (F), biased batch variance
  var rstd: [UnsafeMutablePointer<Float>] = []  // per layer (F)
  var relu: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), layer output
  let logits: UnsafeMutablePointer<Float>  // (B,H,W,2)
  let probs: UnsafeMutablePointer<Float>  // (B,H,W,2)
  /// Per conv layer, its input channel-major (Cin,B,H,W), for the wide conv rows, and in NHWC
  /// order with every value repeated four times (B,H,W,Cin,4), for the kernel gradients (empty
  /// when built without `backward`). Both have slack on either side (`takeWithSlack`). Filled by
  /// the forward pass and shared by every backward pass after it. The first layer's planar
  /// input, with Cin = 1, is `input` itself.
  var inputSplat: [UnsafeMutablePointer<Float>] = []
  var inputPlanar: [UnsafeMutablePointer<Float>] = []
  var inputSplatReady = false
  /// Room for a wide conv row's repeated weights (`repeatWeightsFour`, 144·F Floats).
  let repeatedWeights: UnsafeMutablePointer<Float>
  /// Room for the softmax's exps (N).
  let softmaxScratch: UnsafeMutablePointer<Float>
  /// A conv layer's Σ over positions of each output channel (F), in Double, for batch norm.
  let channelSums: UnsafeMutablePointer<Double>

  /// Buffers for B images of H×W; `backward: false` (evaluation) leaves out what only the
  /// backward pass uses.
  init(layout: ModelLayout, B: Int, H: Int, W: Int, backward: Bool = true) {
    self.B = B
    self.H = H
    self.W = W
    N = B * H * W
    let F = layout.filters
    var perLayer = layout.batchNorm ? 4 * N * F + 3 * F : 2 * N * F
    perLayer += N * F + 32
    if backward { perLayer += 4 * N * F + 32 }
    arena = FloatArena(
      capacity: 8 * N + 32 + 144 * F + layout.layers * perLayer, slices: 6 + 9 * layout.layers)
    input = arena.takeWithSlack(N)
    softmaxScratch = arena.take(N)
    labels = arena.take(2 * N)
    repeatedWeights = arena.take(144 * F)
    channelSums = .allocate(capacity: F)
    channelSums.initialize(repeating: 0, count: F)
    for l in 0..<layout.layers {
      let cin = layout.inputChannels(l)
      inputPlanar.append(l == 0 && cin == 1 ? input : arena.takeWithSlack(N * cin))
      if backward { inputSplat.append(arena.takeWithSlack(4 * N * cin)) }
      conv.append(arena.take(N * F))
      if layout.batchNorm {
        xhat.append(arena.take(N * F))
        normed.append(arena.take(N * F))
        mean.append(arena.take(F))
        variance.append(arena.take(F))
        rstd.append(arena.take(F))
      }
      relu.append(arena.take(N * F))
    }
    logits = arena.take(2 * N)
    probs = arena.take(2 * N)
  }

  deinit { channelSums.deallocate() }
}

/// The activation gradients of one backward pass, allocated once. Each is written whole by its
/// producer (as 0 + value, the bits of adding to a cleared buffer) before it is read, so none is
/// cleared between passes.
final class ActivationGradients {
  private let arena: FloatArena
  let dProbs: UnsafeMutablePointer<Float>  // (B,H,W,2)
  let dLogits: UnsafeMutablePointer<Float>  // (B,H,W,2)
  /// Per layer (B,H,W,F), d layer output; with batch norm only (without it, the conv above writes
  /// the ReLU's gradient, dNormed, directly: `modelBackward`).
  var dRelu: [UnsafeMutablePointer<Float>] = []
  var dNormed: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), d ReLU input
  var dConv: [UnsafeMutablePointer<Float>] = []  // per layer (B,H,W,F), d conv output
  /// Per layer, dConv channel-major (F,B,H,W) with slack, for the wide input-gradient rows;
  /// layers above the first only.
  var dConvPlanar: [UnsafeMutablePointer<Float>?] = []
  /// For conv backward: the (3,3,F,F) transposed kernel, then its repeated weights (144·F).
  let scratch: UnsafeMutablePointer<Float>

  init(layout: ModelLayout, N: Int) {
    let F = layout.filters
    let perLayer = (layout.batchNorm ? 3 : 2) * N * F
    let count = 4 * N + layout.layers * perLayer
    let scratchCount = 9 * F * F + 144 * F
    let planarCount = max(layout.layers - 1, 0) * (N * F + 32)
    arena = FloatArena(
      capacity: count + scratchCount + planarCount, slices: 3 + 4 * layout.layers)
    scratch = arena.take(scratchCount)
    dProbs = arena.take(2 * N)
    dLogits = arena.take(2 * N)
    for _ in 0..<layout.layers {
      dRelu.append(arena.take(N * F))
      let dn = arena.take(N * F)
      dNormed.append(dn)
      dConv.append(layout.batchNorm ? arena.take(N * F) : dn)
    }
    for l in 0..<layout.layers {
      dConvPlanar.append(l > 0 ? arena.takeWithSlack(N * F) : nil)
    }
  }
}

/// Batch norm's moving mean and variance, per conv layer (F each).
struct MovingStatistics {
  var mean: [UnsafeMutablePointer<Float>] = []
  var variance: [UnsafeMutablePointer<Float>] = []
}

/// Runs the network on `acts.input`, filling every activation through `acts.probs` (through
/// `acts.logits` with `probabilities: false`, for an evaluation's argmax). Batch norm uses the
/// batch's statistics, or `moving` if given (evaluation only: no backward after it).
func modelForward(
  params: UnsafePointer<Float>, layout: ModelLayout, acts: Activations,
  moving: MovingStatistics? = nil, kernels: KernelSet = .best, probabilities: Bool = true
) {
  let F = layout.filters
  let splats = acts.inputSplat.count == layout.layers
  acts.inputSplatReady = splats
  var layerInput = UnsafePointer(acts.input)
  // The wide conv rows take four output channels and rows of a multiple of four positions; the
  // planar copy is made only for them.
  let wide = F == 4 && acts.W % 4 == 0
  for l in 0..<layout.layers {
    let cin = layout.inputChannels(l)
    // The first layer's one input channel is already planar: `inputPlanar[0]` is `input`.
    if wide && !(l == 0 && cin == 1) {
      planarCopy(kernels, out: acts.inputPlanar[l], x: layerInput, N: acts.N, C: cin)
    }
    let operands = wide ? (UnsafePointer(acts.inputPlanar[l]), acts.repeatedWeights) : nil
    // Without batch norm, the conv makes the ReLU as it stores. Batch norm with the batch's
    // statistics takes its mean's sums from the conv, which makes them as it stores, makes the
    // ReLU as it stores its own output, and makes the layer input's splat for the backward pass
    // in the shadow of its variance's serial sums.
    let batchStatistics = layout.batchNorm && moving == nil
    if splats && !batchStatistics {
      splatFour(kernels, out: acts.inputSplat[l], x: layerInput, count: acts.N * cin)
    }
    conv2dForward(
      kernels, out: acts.conv[l], input: layerInput, weight: params + layout.kernel[l],
      bias: layout.batchNorm ? nil : params + layout.bias[l], wide: operands,
      B: acts.B, H: acts.H, W: acts.W, Cin: cin, Cout: F, K: 3,
      channelSums: batchStatistics ? acts.channelSums : nil,
      reluOut: layout.batchNorm ? nil : acts.relu[l])
    if batchStatistics {
      batchNormForward(
        kernels, out: acts.normed[l], xhat: acts.xhat[l], mean: acts.mean[l],
        variance: acts.variance[l], rstd: acts.rstd[l], input: acts.conv[l],
        gamma: params + layout.gamma[l], beta: params + layout.beta[l], N: acts.N, C: F,
        sums: acts.channelSums, relu: acts.relu[l],
        splat: splats ? (acts.inputSplat[l], layerInput, cin) : nil)
    } else if layout.batchNorm, let moving {
      batchNormInference(
        kernels, out: acts.normed[l], input: acts.conv[l], mean: moving.mean[l],
        variance: moving.variance[l], gamma: params + layout.gamma[l],
        beta: params + layout.beta[l], N: acts.N, C: F, relu: acts.relu[l])
    }
    layerInput = UnsafePointer(acts.relu[l])
  }
  conv2dForward(
    kernels, out: acts.logits, input: layerInput, weight: params + layout.outputKernel,
    bias: params + layout.outputBias, wide: nil, B: acts.B, H: acts.H, W: acts.W,
    Cin: layout.lastChannels, Cout: 2, K: 1, channelSums: nil, reluOut: nil)
  if probabilities {
    softmaxForward(
      kernels, probs: acts.probs, logits: acts.logits, N: acts.N, C: 2, scratch: acts.softmaxScratch
    )
  }
}

/// Backpropagates `grads.dLogits` through the network, accumulating into dParams (P).
/// `second`, if given, is another loss's backward pass (its own dLogits, gradient buffers and
/// dParams) on the same forward pass, run beside the first kernel by kernel: the kernels that
/// take two losses at once interleave their independent sums, and the bits are those of two
/// separate passes.
func modelBackward(
  dParams: UnsafeMutablePointer<Float>, grads: ActivationGradients, params: UnsafePointer<Float>,
  layout: ModelLayout, acts: Activations, kernels: KernelSet = .best,
  second: (dParams: UnsafeMutablePointer<Float>, grads: ActivationGradients)? = nil
) {
  let F = layout.filters
  let last = layout.layers - 1
  // Without batch norm, the conv above each ReLU writes the ReLU's gradient (dNormed, which is
  // dConv) as it stores its input gradient, instead of dRelu and a separate pass.
  let reluFused = !layout.batchNorm
  /// Where a conv's input gradient goes for a loss: layer l's ReLU gradient or its dRelu.
  func gradientBelow(_ g: ActivationGradients, _ l: Int) -> UnsafeMutablePointer<Float> {
    reluFused ? g.dNormed[l] : g.dRelu[l]
  }
  /// The output conv's operands for a loss.
  func outputConv(_ d: UnsafeMutablePointer<Float>, _ g: ActivationGradients) -> ConvGradients {
    (
      layout.layers > 0 ? gradientBelow(g, last) : nil, d + layout.outputKernel,
      d + layout.outputBias, UnsafePointer(g.dLogits), nil
    )
  }
  let out = outputConv(dParams, grads)
  conv2dBackward(
    kernels, dInput: out.dInput, dWeight: out.dWeight, dBias: out.dBias, dOut: out.dOut,
    input: layout.layers > 0 ? acts.relu[last] : acts.input, inputSplat: nil,
    dOutPlanar: nil, weight: params + layout.outputKernel, scratch: grads.scratch, B: acts.B,
    H: acts.H, W: acts.W, Cin: layout.lastChannels, Cout: 2, K: 1,
    second: second.map { outputConv($0.dParams, $0.grads) },
    dInputRelu: reluFused && layout.layers > 0 ? UnsafePointer(acts.conv[last]) : nil)
  for l in stride(from: last, through: 0, by: -1) {
    let preActivation = layout.batchNorm ? acts.normed[l] : acts.conv[l]
    if layout.batchNorm && F % 4 == 0 {
      func operands(_ d: UnsafeMutablePointer<Float>, _ g: ActivationGradients)
        -> BatchNormReluGradients
      {
        (g.dConv[l], d + layout.gamma[l], d + layout.beta[l], UnsafePointer(g.dRelu[l]))
      }
      let a = operands(dParams, grads)
      batchNormReluBackward(
        kernels, dInput: a.dInput, dGamma: a.dGamma, dBeta: a.dBeta, dRelu: a.dRelu,
        normed: acts.normed[l], xhat: acts.xhat[l], rstd: acts.rstd[l],
        gamma: params + layout.gamma[l], N: acts.N, C: F,
        second: second.map { operands($0.dParams, $0.grads) })
    } else {
      func reluAndBatchNorm(_ d: UnsafeMutablePointer<Float>, _ g: ActivationGradients) {
        if !reluFused {
          reluBackward(
            kernels, dInput: g.dNormed[l], dOut: g.dRelu[l], input: preActivation,
            count: acts.N * F)
        }
        if layout.batchNorm {
          batchNormBackward(
            dInput: g.dConv[l], dGamma: d + layout.gamma[l], dBeta: d + layout.beta[l],
            dOut: g.dNormed[l], xhat: acts.xhat[l], rstd: acts.rstd[l],
            gamma: params + layout.gamma[l], N: acts.N, C: F)
        }
      }
      reluAndBatchNorm(dParams, grads)
      if let second { reluAndBatchNorm(second.dParams, second.grads) }
    }
    // dConv's planar copy, for the wide input gradient of the layers above the first.
    func operands(_ d: UnsafeMutablePointer<Float>, _ g: ActivationGradients) -> ConvGradients {
      let planar = g.dConvPlanar[l]
      if let planar { planarCopy(kernels, out: planar, x: g.dConv[l], N: acts.N, C: F) }
      return (
        l > 0 ? gradientBelow(g, l - 1) : nil, d + layout.kernel[l],
        layout.batchNorm ? nil : d + layout.bias[l], UnsafePointer(g.dConv[l]),
        planar.map { UnsafePointer($0) }
      )
    }
    let a = operands(dParams, grads)
    conv2dBackward(
      kernels, dInput: a.dInput, dWeight: a.dWeight, dBias: a.dBias, dOut: a.dOut,
      input: l > 0 ? acts.relu[l - 1] : acts.input,
      inputSplat: acts.inputSplatReady ? acts.inputSplat[l] : nil,
      dOutPlanar: a.dOutPlanar, weight: params + layout.kernel[l],
      scratch: grads.scratch, B: acts.B, H: acts.H, W: acts.W, Cin: layout.inputChannels(l),
      Cout: F, K: 3, second: second.map { operands($0.dParams, $0.grads) },
      dInputRelu: reluFused && l > 0 ? UnsafePointer(acts.conv[l - 1]) : nil)
  }
}

/// The pixels whose argmax over the two logits (a tie predicts class 0) is their label.
func correctPixels(logits: UnsafePointer<Float>, labels: UnsafePointer<Float>, N: Int) -> Int {
  // Eight positions at a time (a count is exact in any order), then one at a time.
  var counts = SIMD8<Int32>()
  var start = 0
  while start + 8 <= N {
    let z = load16(logits + 2 * start)
    let predicted = secondOfPairs(z) .> firstOfPairs(z)
    let actual = secondOfPairs(load16(labels + 2 * start)) .> 0.5
    counts &+= SIMD8<Int32>().replacing(with: 1, where: .!(predicted .^ actual))
    start += 8
  }
  var correct = Int(counts.wrappedSum())
  for n in start..<N {
    let predicted = logits[2 * n + 1] > logits[2 * n] ? 1 : 0
    let actual = labels[2 * n + 1] > 0.5 ? 1 : 0
    if predicted == actual { correct += 1 }
  }
  return correct
}
