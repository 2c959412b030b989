// The determinism envelope: where a cell's bytes were made (CPU, OS, toolchain, binary, float
// mode, core version, kernel variant). Recorded in the run section of each cell manifest, which
// diffs and verification ignore; nothing a cell contains depends on it.

import CanonicalJSON
import Foundation
import TrainingCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The facts of the machine and build that made a cell, as `run.envelope` records them.
public struct RunEnvelope: Sendable, Equatable {
  /// `vendor_id` of /proc/cpuinfo, e.g. AuthenticAMD.
  public var cpuVendor: String
  /// `model name` of /proc/cpuinfo, e.g. AMD EPYC 7B13.
  public var cpuModel: String
  /// The CPU flags the kernels care about that this CPU has (see `RunEnvelope.kernelFlags`).
  public var cpuFlags: [String]
  /// uname: system name, release (the kernel) and machine, e.g. "Linux 6.8.0 x86_64".
  public var os: String
  /// The Swift compiler that built this binary, known to the patch level by `#if compiler`.
  public var swiftCompiler: String
  /// SHA-256 of the running `sweep` binary (/proc/self/exe).
  public var binarySHA256: String
  /// The floating-point mode training runs in, checked by arithmetic inside it.
  public var floatingPointMode: String
  /// `coreSemanticsVersion` of the core.
  public var coreVersion: String
  /// The conv kernel variant the trainer runs here (`portable` or `vector`).
  public var kernels: String

  /// The envelope's parts by key, in the order `differences` and the texts report them.
  static let keys = [
    "cpu_vendor", "cpu_model", "cpu_flags", "os", "swift_compiler", "binary_sha256",
    "floating_point_mode", "core_version", "kernels",
  ]

  /// CPU flags that decide which kernels and instructions run.
  public static let kernelFlags = [
    "sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512dq", "avx512bw",
    "avx512vl", "avx512_vnni",
  ]

  public init(
    cpuVendor: String, cpuModel: String, cpuFlags: [String], os: String, swiftCompiler: String,
    binarySHA256: String, floatingPointMode: String, coreVersion: String, kernels: String
  ) {
    self.cpuVendor = cpuVendor
    self.cpuModel = cpuModel
    self.cpuFlags = cpuFlags
    self.os = os
    self.swiftCompiler = swiftCompiler
    self.binarySHA256 = binarySHA256
    self.floatingPointMode = floatingPointMode
    self.coreVersion = coreVersion
    self.kernels = kernels
  }

  /// The envelope of this process, computed once (hashing the binary reads it whole).
  public static let current: RunEnvelope = {
    let cpu = cpuInfo()
    return RunEnvelope(
      cpuVendor: cpu.vendor, cpuModel: cpu.model, cpuFlags: cpu.flags, os: unameText(),
      swiftCompiler: compilerVersion, binarySHA256: executableSHA256(),
      floatingPointMode: floatingPointModeInEffect(), coreVersion: coreSemanticsVersion,
      kernels: KernelSet.best.rawValue)
  }()

  /// The `run.envelope` object of docs/FORMATS.md.
  public var json: JSONValue {
    .object(Dictionary(uniqueKeysWithValues: zip(RunEnvelope.keys, values)))
  }

  /// The values in the order of `keys`.
  private var values: [JSONValue] {
    [
      .string(cpuVendor), .string(cpuModel), .array(cpuFlags.map { .string($0) }), .string(os),
      .string(swiftCompiler), .string(binarySHA256), .string(floatingPointMode),
      .string(coreVersion), .string(kernels),
    ]
  }

  /// Reads a `run.envelope` object; nil when the manifest predates envelopes or it is malformed.
  public init?(json: JSONValue?) {
    guard let members = json?.objectValue else { return nil }
    func text(_ key: String) -> String? { members[key]?.stringValue }
    guard let vendor = text("cpu_vendor"), let model = text("cpu_model"), let os = text("os"),
      let compiler = text("swift_compiler"), let binary = text("binary_sha256"),
      let mode = text("floating_point_mode"), let core = text("core_version"),
      let kernels = text("kernels"), let flags = members["cpu_flags"]?.arrayValue
    else { return nil }
    self.init(
      cpuVendor: vendor, cpuModel: model, cpuFlags: flags.compactMap(\.stringValue), os: os,
      swiftCompiler: compiler, binarySHA256: binary, floatingPointMode: mode, coreVersion: core,
      kernels: kernels)
  }

  /// The envelope of a cell manifest's run section, if it has one.
  public init?(manifest: CellManifest) {
    self.init(json: manifest.run["envelope"])
  }

  /// The keys whose values differ between the two envelopes, in `keys` order.
  public func differences(from other: RunEnvelope) -> [String] {
    zip(RunEnvelope.keys, zip(values, other.values)).filter { $0.1.0 != $0.1.1 }.map(\.0)
  }

  /// "AMD EPYC 7B13 (avx2)": the model and its widest vector flag, for one-line verdicts.
  public var shortText: String {
    let widest = ["avx512f", "avx2", "avx", "sse4_2"].first { cpuFlags.contains($0) }
    let flag = widest.map { $0 == "avx512f" ? "avx512" : $0 }
    return cpuModel + (flag.map { " (\($0))" } ?? "")
  }

  /// One line per part, `  key  value`, for `sweep rerun`.
  public var lines: [String] {
    let width = RunEnvelope.keys.map(\.count).max() ?? 0
    return zip(RunEnvelope.keys, values).map { key, value in
      let text: String
      if let items = value.arrayValue {
        text = items.compactMap(\.stringValue).joined(separator: " ")
      } else {
        text = value.stringValue ?? value.canonicalText
      }
      return key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + text
    }
  }
}

/// The Swift compiler version this binary was built with, from `#if compiler` checks (the
/// compiler reports its version to the patch level, not its build tag).
let compilerVersion: String = {
  #if compiler(>=6.5)
    return "swift 6.5 or later"
  #elseif compiler(>=6.4)
    return "swift 6.4"
  #elseif compiler(>=6.3.3)
    return "swift 6.3.3"
  #elseif compiler(>=6.3.2)
    return "swift 6.3.2"
  #elseif compiler(>=6.3.1)
    return "swift 6.3.1"
  #elseif compiler(>=6.3)
    return "swift 6.3"
  #elseif compiler(>=6.2)
    return "swift 6.2"
  #elseif compiler(>=6.1)
    return "swift 6.1"
  #else
    return "swift 6.0"
  #endif
}()

/// Vendor, model and kernel-relevant flags (`RunEnvelope.kernelFlags`) of the first CPU in
/// /proc/cpuinfo, "unknown" where it cannot be read.
public func cpuInfo() -> (vendor: String, model: String, flags: [String]) {
  guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
    return ("unknown", "unknown CPU", [])
  }
  var vendor = ""
  var model = ""
  var flags: Set<Substring> = []
  for line in text.split(separator: "\n") {
    let parts = line.split(separator: ":", maxSplits: 1)
    guard parts.count == 2 else { continue }
    let key = parts[0].trimmingCharacters(in: .whitespaces)
    let value = parts[1].trimmingCharacters(in: .whitespaces)
    if key == "vendor_id" && vendor.isEmpty { vendor = value }
    if key == "model name" && model.isEmpty { model = value }
    if key == "flags" && flags.isEmpty { flags = Set(value.split(separator: " ")) }
  }
  let kept = RunEnvelope.kernelFlags.filter { flags.contains(Substring($0)) }
  return (vendor.isEmpty ? "unknown" : vendor, model.isEmpty ? "unknown CPU" : model, kept)
}

/// "Linux 6.8.0-45-generic x86_64" from uname(2).
func unameText() -> String {
  var name = utsname()
  guard uname(&name) == 0 else { return "unknown" }
  func field<T>(_ value: T) -> String {
    withUnsafeBytes(of: value) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }
  return "\(field(name.sysname)) \(field(name.release)) \(field(name.machine))"
}

/// SHA-256 of /proc/self/exe, or "unknown" when it cannot be read.
func executableSHA256() -> String {
  (try? fileSHA256("/proc/self/exe").hex) ?? "unknown"
}

/// `trainingFloatingPointMode` when the training mode really flushes subnormals here (read from
/// the control register inside the mode), else a text saying it does not.
func floatingPointModeInEffect() -> String {
  withSubnormalsFlushed { subnormalsAreFlushed() }
    ? trainingFloatingPointMode : "\(trainingFloatingPointMode) requested, not in effect"
}

/// Distinct envelopes among the cell manifests of `directory`, with how many cells each made
/// (most first); cells with no envelope are counted under nil.
public func envelopeCounts(in directory: SweepDirectory) -> [(envelope: RunEnvelope?, cells: Int)] {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.cells)) ?? []
  var counts: [(envelope: RunEnvelope?, cells: Int)] = []
  for id in names.sorted().compactMap(SweepDirectory.manifestID(fileName:)) {
    guard let manifest = try? CellManifest.load(path: directory.cellManifest(id)) else { continue }
    let envelope = RunEnvelope(manifest: manifest)
    if let index = counts.firstIndex(where: { $0.envelope == envelope }) {
      counts[index].cells += 1
    } else {
      counts.append((envelope, 1))
    }
  }
  return counts.sorted { $0.cells > $1.cells }
}
