// The kernel variants and the choice between them: the same source compiled portably (this
// module), for wide vectors (TrainingCoreVector, AVX2 by default) and for 512-bit vectors
// (TrainingCoreVector512, AVX-512). Every lane sums in the order of the plain references, so all
// variants write the same bits; the tests and `make determinism` hold them to it.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

import CPUFeatures
import TrainingCoreVector
import TrainingCoreVector512

/// Which compiled variant of the conv kernels a trainer runs. Results are bit-identical; only
/// speed differs.
public enum KernelSet: String, CaseIterable, Sendable {
  /// Compiled for the x86-64 baseline (128-bit vectors): runs on any x86-64 CPU.
  case portable
  /// Compiled for wide vectors (x86-64-v3, AVX2, by default; the host CPU with `NATIVE=1`).
  case vector
  /// Compiled for 512-bit vectors (x86-64-v4, AVX-512).
  case vector512

  /// The fastest variant this CPU runs.
  public static let best: KernelSet = available.last ?? .portable

  /// The variants this CPU runs, portable first.
  public static let available: [KernelSet] =
    [.portable]
    + (segsweep_cpu_supports_x86_64_v3() != 0 ? [.vector] : [])
    + (segsweep_cpu_supports_x86_64_v4() != 0 ? [.vector512] : [])
}

/// `conv2dForward` in the chosen variant.
@inline(__always)
func conv2dForward(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, wide: WideOperands?,
  B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int, channelSums: UnsafeMutablePointer<Double>?,
  reluOut: UnsafeMutablePointer<Float>?
) {
  switch kernels {
  case .portable:
    conv2dForward(
      out: out, input: input, weight: weight, bias: bias, wide: wide, B: B, H: H,
      W: W, Cin: Cin, Cout: Cout, K: K, channelSums: channelSums, reluOut: reluOut)
  case .vector:
    TrainingCoreVector.conv2dForward(
      out: out, input: input, weight: weight, bias: bias, wide: wide, B: B, H: H,
      W: W, Cin: Cin, Cout: Cout, K: K, channelSums: channelSums, reluOut: reluOut)
  case .vector512:
    TrainingCoreVector512.conv2dForward(
      out: out, input: input, weight: weight, bias: bias, wide: wide, B: B, H: H,
      W: W, Cin: Cin, Cout: Cout, K: K, channelSums: channelSums, reluOut: reluOut)
  }
}

/// `conv2dBackward` in the chosen variant.
@inline(__always)
func conv2dBackward(
  _ kernels: KernelSet, dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
  dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  inputSplat: UnsafePointer<Float>?, dOutPlanar: UnsafePointer<Float>?,
  weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int,
  Cin: Int, Cout: Int, K: Int, second: ConvGradients? = nil,
  dInputRelu: UnsafePointer<Float>? = nil
) {
  switch kernels {
  case .portable:
    conv2dBackward(
      dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
      inputSplat: inputSplat, dOutPlanar: dOutPlanar, weight: weight, scratch: scratch,
      B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K, second: second, dInputRelu: dInputRelu)
  case .vector:
    TrainingCoreVector.conv2dBackward(
      dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
      inputSplat: inputSplat, dOutPlanar: dOutPlanar, weight: weight, scratch: scratch,
      B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K, second: second, dInputRelu: dInputRelu)
  case .vector512:
    TrainingCoreVector512.conv2dBackward(
      dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
      inputSplat: inputSplat, dOutPlanar: dOutPlanar, weight: weight, scratch: scratch,
      B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K, second: second, dInputRelu: dInputRelu)
  }
}

// The elementwise kernels (batch norm, ReLU, softmax, cross-entropy) in the chosen variant.

@inline(__always)
func batchNormForward(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, xhat: UnsafeMutablePointer<Float>,
  mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>,
  rstd: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
  beta: UnsafePointer<Float>, N: Int, C: Int, sums: UnsafePointer<Double>?,
  relu: UnsafeMutablePointer<Float>?, splat: BatchNormSplat? = nil
) {
  switch kernels {
  case .portable:
    batchNormForward(
      out: out, xhat: xhat, mean: mean, variance: variance, rstd: rstd, input: input,
      gamma: gamma, beta: beta, N: N, C: C, sums: sums, relu: relu, splat: splat)
  case .vector:
    TrainingCoreVector.batchNormForward(
      out: out, xhat: xhat, mean: mean, variance: variance, rstd: rstd, input: input,
      gamma: gamma, beta: beta, N: N, C: C, sums: sums, relu: relu, splat: splat)
  case .vector512:
    TrainingCoreVector512.batchNormForward(
      out: out, xhat: xhat, mean: mean, variance: variance, rstd: rstd, input: input,
      gamma: gamma, beta: beta, N: N, C: C, sums: sums, relu: relu, splat: splat)
  }
}

@inline(__always)
func batchNormInference(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
  mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
  beta: UnsafePointer<Float>, N: Int, C: Int, relu: UnsafeMutablePointer<Float>? = nil
) {
  switch kernels {
  case .portable:
    batchNormInference(
      out: out, input: input, mean: mean, variance: variance, gamma: gamma, beta: beta, N: N,
      C: C, relu: relu)
  case .vector:
    TrainingCoreVector.batchNormInference(
      out: out, input: input, mean: mean, variance: variance, gamma: gamma, beta: beta, N: N,
      C: C, relu: relu)
  case .vector512:
    TrainingCoreVector512.batchNormInference(
      out: out, input: input, mean: mean, variance: variance, gamma: gamma, beta: beta, N: N,
      C: C, relu: relu)
  }
}

@inline(__always)
func batchNormReluBackward(
  _ kernels: KernelSet, dInput: UnsafeMutablePointer<Float>,
  dGamma: UnsafeMutablePointer<Float>, dBeta: UnsafeMutablePointer<Float>,
  dRelu: UnsafePointer<Float>, normed: UnsafePointer<Float>, xhat: UnsafePointer<Float>,
  rstd: UnsafePointer<Float>, gamma: UnsafePointer<Float>, N: Int, C: Int,
  second: BatchNormReluGradients?
) {
  switch kernels {
  case .portable:
    batchNormReluBackward(
      dInput: dInput, dGamma: dGamma, dBeta: dBeta, dRelu: dRelu, normed: normed, xhat: xhat,
      rstd: rstd, gamma: gamma, N: N, C: C, second: second)
  case .vector:
    TrainingCoreVector.batchNormReluBackward(
      dInput: dInput, dGamma: dGamma, dBeta: dBeta, dRelu: dRelu, normed: normed, xhat: xhat,
      rstd: rstd, gamma: gamma, N: N, C: C, second: second)
  case .vector512:
    TrainingCoreVector512.batchNormReluBackward(
      dInput: dInput, dGamma: dGamma, dBeta: dBeta, dRelu: dRelu, normed: normed, xhat: xhat,
      rstd: rstd, gamma: gamma, N: N, C: C, second: second)
  }
}

@inline(__always)
func planarCopy(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, N: Int, C: Int
) {
  switch kernels {
  case .portable: planarCopy(out: out, x: x, N: N, C: C)
  case .vector: TrainingCoreVector.planarCopy(out: out, x: x, N: N, C: C)
  case .vector512: TrainingCoreVector512.planarCopy(out: out, x: x, N: N, C: C)
  }
}

@inline(__always)
func splatFour(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int
) {
  switch kernels {
  case .portable: splatFour(out: out, x: x, count: count)
  case .vector: TrainingCoreVector.splatFour(out: out, x: x, count: count)
  case .vector512: TrainingCoreVector512.splatFour(out: out, x: x, count: count)
  }
}

@inline(__always)
func reluForward(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int
) {
  switch kernels {
  case .portable: reluForward(out: out, input: input, count: count)
  case .vector: TrainingCoreVector.reluForward(out: out, input: input, count: count)
  case .vector512: TrainingCoreVector512.reluForward(out: out, input: input, count: count)
  }
}

@inline(__always)
func reluBackward(
  _ kernels: KernelSet, dInput: UnsafeMutablePointer<Float>, dOut: UnsafePointer<Float>,
  input: UnsafePointer<Float>, count: Int
) {
  switch kernels {
  case .portable: reluBackward(dInput: dInput, dOut: dOut, input: input, count: count)
  case .vector:
    TrainingCoreVector.reluBackward(dInput: dInput, dOut: dOut, input: input, count: count)
  case .vector512:
    TrainingCoreVector512.reluBackward(dInput: dInput, dOut: dOut, input: input, count: count)
  }
}

@inline(__always)
func softmaxForward(
  _ kernels: KernelSet, probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int,
  C: Int, scratch: UnsafeMutablePointer<Float>? = nil
) {
  switch kernels {
  case .portable: softmaxForward(probs: probs, logits: logits, N: N, C: C, scratch: scratch)
  case .vector:
    TrainingCoreVector.softmaxForward(probs: probs, logits: logits, N: N, C: C, scratch: scratch)
  case .vector512:
    TrainingCoreVector512.softmaxForward(
      probs: probs, logits: logits, N: N, C: C, scratch: scratch)
  }
}

@inline(__always)
func softmaxBackward(
  _ kernels: KernelSet, dLogits: UnsafeMutablePointer<Float>, dProbs: UnsafePointer<Float>,
  probs: UnsafePointer<Float>, N: Int, C: Int
) {
  switch kernels {
  case .portable: softmaxBackward(dLogits: dLogits, dProbs: dProbs, probs: probs, N: N, C: C)
  case .vector:
    TrainingCoreVector.softmaxBackward(dLogits: dLogits, dProbs: dProbs, probs: probs, N: N, C: C)
  case .vector512:
    TrainingCoreVector512.softmaxBackward(
      dLogits: dLogits, dProbs: dProbs, probs: probs, N: N, C: C)
  }
}

@inline(__always)
func crossEntropyTerms(
  _ kernels: KernelSet, terms: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int
) -> Int {
  switch kernels {
  case .portable: crossEntropyTerms(terms: terms, probs: probs, labels: labels, N: N)
  case .vector:
    TrainingCoreVector.crossEntropyTerms(terms: terms, probs: probs, labels: labels, N: N)
  case .vector512:
    TrainingCoreVector512.crossEntropyTerms(terms: terms, probs: probs, labels: labels, N: N)
  }
}

@inline(__always)
func crossEntropyGradient(
  _ kernels: KernelSet, dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int
) {
  switch kernels {
  case .portable: crossEntropyGradient(dProbs: dProbs, probs: probs, labels: labels, N: N)
  case .vector:
    TrainingCoreVector.crossEntropyGradient(dProbs: dProbs, probs: probs, labels: labels, N: N)
  case .vector512:
    TrainingCoreVector512.crossEntropyGradient(
      dProbs: dProbs, probs: probs, labels: labels, N: N)
  }
}

@inline(__always)
func diceGradient(
  _ kernels: KernelSet, dProbs: UnsafeMutablePointer<Float>, probs: UnsafePointer<Float>,
  labels: UnsafePointer<Float>, N: Int, a: SIMD16<Float>, b: SIMD16<Float>,
  channels: SIMDMask<SIMD16<Int32>>, square: Bool
) {
  switch kernels {
  case .portable:
    diceGradient(
      dProbs: dProbs, probs: probs, labels: labels, N: N, a: a, b: b, channels: channels,
      square: square)
  case .vector:
    TrainingCoreVector.diceGradient(
      dProbs: dProbs, probs: probs, labels: labels, N: N, a: a, b: b, channels: channels,
      square: square)
  case .vector512:
    TrainingCoreVector512.diceGradient(
      dProbs: dProbs, probs: probs, labels: labels, N: N, a: a, b: b, channels: channels,
      square: square)
  }
}
