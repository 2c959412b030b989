// The conv kernel variants and the choice between them: the same source compiled portably
// (this module) and for wide vectors (TrainingCoreVector, AVX2 by default). Every lane sums in
// the order of the plain references, so both variants write the same bits; the tests and
// `make determinism` hold them to it.
// swift-format-ignore-file: AlwaysUseLowerCamelCase

import CPUFeatures
import TrainingCoreVector

/// Which compiled variant of the conv kernels a trainer runs. Results are bit-identical; only
/// speed differs.
public enum KernelSet: String, CaseIterable, Sendable {
  /// Compiled for the x86-64 baseline (128-bit vectors): runs on any x86-64 CPU.
  case portable
  /// Compiled for wide vectors (x86-64-v3, AVX2, by default; the host CPU with `NATIVE=1`).
  case vector

  /// The fastest variant this CPU runs.
  public static let best: KernelSet = available.last ?? .portable

  /// The variants this CPU runs, portable first.
  public static let available: [KernelSet] =
    segsweep_cpu_supports_x86_64_v3() != 0 ? [.portable, .vector] : [.portable]
}

/// `conv2dForward` in the chosen variant.
@inline(__always)
func conv2dForward(
  _ kernels: KernelSet, out: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
  weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, planarSplat: UnsafePointer<Float>?,
  B: Int, H: Int, W: Int, Cin: Int, Cout: Int, K: Int
) {
  switch kernels {
  case .portable:
    conv2dForward(
      out: out, input: input, weight: weight, bias: bias, planarSplat: planarSplat, B: B, H: H,
      W: W, Cin: Cin, Cout: Cout, K: K)
  case .vector:
    TrainingCoreVector.conv2dForward(
      out: out, input: input, weight: weight, bias: bias, planarSplat: planarSplat, B: B, H: H,
      W: W, Cin: Cin, Cout: Cout, K: K)
  }
}

/// `conv2dBackward` in the chosen variant.
@inline(__always)
func conv2dBackward(
  _ kernels: KernelSet, dInput: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>,
  dBias: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, input: UnsafePointer<Float>,
  inputSplat: UnsafePointer<Float>?, dOutPlanarSplat: UnsafePointer<Float>?,
  weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, B: Int, H: Int, W: Int,
  Cin: Int, Cout: Int, K: Int
) {
  switch kernels {
  case .portable:
    conv2dBackward(
      dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
      inputSplat: inputSplat, dOutPlanarSplat: dOutPlanarSplat, weight: weight, scratch: scratch,
      B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K)
  case .vector:
    TrainingCoreVector.conv2dBackward(
      dInput: dInput, dWeight: dWeight, dBias: dBias, dOut: dOut, input: input,
      inputSplat: inputSplat, dOutPlanarSplat: dOutPlanarSplat, weight: weight, scratch: scratch,
      B: B, H: H, W: W, Cin: Cin, Cout: Cout, K: K)
  }
}
