// Shared helpers for the Artifacts tests: temporary directories, sample records and manifests.

import CanonicalJSON
import Foundation
import SweepSpec
import TrainingCore

@testable import Artifacts

/// A fresh directory under the system temporary directory; removed by `cleanup`.
struct TemporaryDirectory {
  let path: String

  init() throws {
    path = FileManager.default.temporaryDirectory.path + "/artifacts-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  func cleanup() { try? FileManager.default.removeItem(atPath: path) }

  /// Names of the files directly in `subdirectory`, sorted.
  func files(_ subdirectory: String = "") -> [String] {
    let directory = subdirectory.isEmpty ? path : "\(path)/\(subdirectory)"
    return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
  }
}

/// `count` records of a small run: eval every 3rd step, values varying with the step.
func sampleRecords(_ count: Int, track: [Loss] = Loss.allCases) -> [StepRecord] {
  (0..<count).map { step in
    StepRecord(
      step: step,
      losses: track.indices.map { Float(0.7) / Float(step + 1) + Float($0) * 0.01 },
      gradNorms: track.indices.map { Float(0.1) * Float($0 + 1) / Float(step + 2) },
      accuracy: step % 3 == 0 ? 0.5 + Double(step % 7) * 0.05 : nil)
  }
}

/// A config for tests, with a few records' worth of steps.
func sampleConfig(seed: UInt64 = 1, loss: Loss = .cce) -> TrainingConfig {
  var config = TrainingConfig()
  config.seed = seed
  config.loss = loss
  config.iterations = 10
  return config
}

/// A real cell of `iterations` steps (one record per step): its id, config and canonical
/// config, so that its manifest passes the claims check.
func realCell(iterations: Int = 10, seed: UInt64 = 1, loss: Loss = .cce) -> (
  hex: String, config: TrainingConfig, canonical: JSONValue
) {
  var config = sampleConfig(seed: seed, loss: loss)
  config.iterations = iterations
  return (CellID(config: config).hex, config, Parameters.canonical(config))
}

/// A canonical-looking config object for manifests built by hand.
func configJSON(
  loss: String = "cce", theta: Double = 0.5, batchNorm: Bool = false, optimizer: String = "adam",
  seed: Int = 1, learningRate: Double = 0.001
) -> JSONValue {
  .object([
    "loss": .string(loss), "theta": .number(theta), "batch_norm": .bool(batchNorm),
    "optimizer": .string(optimizer), "seed": JSONValue(int: seed),
    "learning_rate": .number(learningRate), "iterations": JSONValue(int: 10),
  ])
}

/// A hex id derived from a label, for hand-made manifests.
func fakeID(_ label: String) -> String { sha256Hex(Array(label.utf8)) }

/// A hand-made cell manifest with the given final accuracy.
func cellManifest(
  _ label: String, config: JSONValue, finalAccuracy: Double?, status: CellStatus = .ok,
  run: JSONValue = .object([:])
) -> CellManifest {
  CellManifest(
    id: testID(fakeID(label)), config: config, seed: config["seed"]?.intValue ?? 0, status: status,
    divergedStep: status == .diverged ? 5 : nil, stepsRun: 10, records: 10,
    ndjsonSHA256: fakeID(label + "-content"), gzipSHA256: fakeID(label + "-gzip"), gzipBytes: 100,
    metrics: CellMetrics(
      finalAccuracy: finalAccuracy, finalAccuracyStep: 9, bestAccuracy: finalAccuracy,
      bestAccuracyStep: 9, finalLosses: ["cce": 0.25, "dice": Double?.none],
      finalGradNorms: ["cce": 0.5, "dice": 0.125]),
    run: run)
}

/// Flips one bit of the byte at `offset` (from the end when negative) of the file at `path`.
func flipByte(_ path: String, at offset: Int) throws {
  var data = try Data(contentsOf: URL(fileURLWithPath: path))
  let index = offset >= 0 ? offset : data.count + offset
  data[index] ^= 0x01
  try data.write(to: URL(fileURLWithPath: path))
}

/// The cell id of 64 hex digits (a test's own fixture, so a bad one is a test bug).
func testID(_ hex: String) -> CellID {
  guard let id = CellID(hex: hex) else { fatalError("not a cell id: \(hex)") }
  return id
}
