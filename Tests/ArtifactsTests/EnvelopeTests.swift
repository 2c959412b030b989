// Tests of the determinism envelope: what this process records, its JSON form, and which parts
// two envelopes differ in.
import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

private let epyc = RunEnvelope(
  cpuVendor: "AuthenticAMD", cpuModel: "AMD EPYC 7B13", cpuFlags: ["sse4_2", "avx", "avx2", "fma"],
  os: "Linux 6.8.0 x86_64", swiftCompiler: "swift 6.3.1",
  binarySHA256: String(repeating: "a", count: 64),
  floatingPointMode: "flush-to-zero", coreVersion: "2", kernels: "vector")

@Test func currentEnvelopeDescribesThisProcess() {
  let envelope = RunEnvelope.current
  #expect(envelope.coreVersion == coreSemanticsVersion)
  #expect(envelope.kernels == KernelSet.best.rawValue)
  #expect(envelope.floatingPointMode == trainingFloatingPointMode)
  #expect(envelope.binarySHA256.count == 64)
  let hex = envelope.binarySHA256.allSatisfy { $0.isHexDigit }
  #expect(hex)
  #expect(envelope.os.hasPrefix("Linux "))
  #expect(envelope.swiftCompiler.hasPrefix("swift 6."))
  #expect(envelope.cpuFlags.allSatisfy { RunEnvelope.kernelFlags.contains($0) })
}

@Test func envelopeJSONRoundTrips() throws {
  let text = epyc.json.canonicalText
  let back = RunEnvelope(json: try JSONValue(parsing: Array(text.utf8)))
  #expect(back == epyc)
  #expect(RunEnvelope(json: .object([:])) == nil)
  #expect(RunEnvelope(json: nil) == nil)
}

@Test func differencesNameTheChangedParts() {
  var xeon = epyc
  xeon.cpuVendor = "GenuineIntel"
  xeon.cpuModel = "Intel Xeon"
  xeon.cpuFlags += ["avx512f"]
  #expect(epyc.differences(from: epyc).isEmpty)
  #expect(epyc.differences(from: xeon) == ["cpu_vendor", "cpu_model", "cpu_flags"])
  var rebuilt = epyc
  rebuilt.swiftCompiler = "swift 6.4"
  rebuilt.binarySHA256 = String(repeating: "b", count: 64)
  #expect(epyc.differences(from: rebuilt) == ["swift_compiler", "binary_sha256"])
  #expect(epyc.shortText == "AMD EPYC 7B13 (avx2)")
  #expect(xeon.shortText == "Intel Xeon (avx512)")
}

@Test func envelopeCountsGroupCellsByEnvelope() throws {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
    "envelope-\(UUID().uuidString)"
  ).path
  defer { try? FileManager.default.removeItem(atPath: directory) }
  try FileManager.default.createDirectory(
    atPath: "\(directory)/cells", withIntermediateDirectories: true)
  var xeon = epyc
  xeon.cpuModel = "Intel Xeon"
  for (i, envelope) in [epyc, xeon, epyc].enumerated() {
    let manifest = CellManifest(
      id: testID(String(repeating: "\(i)", count: 64)), config: .object([:]), seed: 0, status: .ok,
      divergedStep: nil, stepsRun: 1, records: 1, ndjsonSHA256: "", gzipSHA256: "", gzipBytes: 0,
      metrics: CellMetrics(), run: .object(["envelope": envelope.json]))
    try Data(manifest.json.prettyText.utf8).write(
      to: URL(fileURLWithPath: SweepDirectory(directory).cellManifest(manifest.id)))
  }
  let counts = envelopeCounts(in: SweepDirectory(directory))
  #expect(counts.count == 2)
  #expect(counts.first?.envelope == epyc)
  #expect(counts.first?.cells == 2)
}
