// Tests of the cell manifest's JSON form and of its claims check (the id against the config's
// hash, the status against the steps, the record count against what the config logs).

import CanonicalJSON
import Foundation
import SweepSpec
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct CellManifestTests {
  @Test func jsonRoundTrip() throws {
    let manifest = cellManifest(
      "a", config: configJSON(), finalAccuracy: 0.953125, status: .diverged)
    let text = manifest.json.prettyText
    let parsed = try CellManifest(json: try JSONValue(parsing: text))
    #expect(parsed == manifest)
    #expect(parsed.json.prettyText == text)
  }

  @Test func canonicalBytes() {
    let manifest = cellManifest("a", config: configJSON(), finalAccuracy: 0.5)
    let text = manifest.json.canonicalText
    #expect(text.hasPrefix("{\"config\":{\"batch_norm\":false,"))
    #expect(text.contains("\"diverged_step\":null,\"gzip_bytes\":100,"))
    #expect(
      text.contains(
        "\"metrics\":{\"best_accuracy\":0.5,\"best_accuracy_step\":9,\"final_accuracy\":0.5,"
          + "\"final_accuracy_step\":9,\"final_grad_norms\":{\"cce\":0.5,\"dice\":0.125},"
          + "\"final_losses\":{\"cce\":0.25,\"dice\":null}}"))
    #expect(text.contains("\"schema\":\"segsweep.cell/1\""))
  }

  @Test func badManifestsNameFileAndKey() throws {
    var json = cellManifest("a", config: configJSON(), finalAccuracy: 0.5).json
    guard case .object(var members) = json else { return }
    members["records"] = .string("ten")
    json = .object(members)
    #expect(
      throws: ArtifactsError.badManifest(
        file: "cells/x.json", reason: "\"records\": expected an integer, found \"ten\"")
    ) { _ = try CellManifest(json: json, file: "cells/x.json") }
    members["records"] = nil
    members["schema"] = .string("other/1")
    #expect(throws: ArtifactsError.self) { _ = try CellManifest(json: .object(members)) }
  }
}

@Suite struct CellClaimsTests {
  /// The manifest a real 10-step cell writes (one record per step).
  static func manifest() -> CellManifest {
    let cell = realCell(iterations: 10)
    return CellManifest(
      id: testID(cell.hex), config: cell.canonical, seed: 1, status: .ok, divergedStep: nil,
      stepsRun: 10, records: 10, ndjsonSHA256: fakeID("n"), gzipSHA256: fakeID("g"),
      gzipBytes: 10, metrics: CellMetrics(), run: .object([:]))
  }

  @Test func aRealCellsClaimsHold() {
    #expect(Self.manifest().claimProblems == [])
    let cell = realCell(iterations: 10)
    #expect(testID(cell.hex).mismatch(canonicalConfig: cell.canonical) == nil)
  }

  @Test func anEditedConfigNoLongerHashesToTheID() throws {
    var manifest = Self.manifest()
    guard case .object(var members) = manifest.config else { throw CancellationError() }
    members["learning_rate"] = .number(0.5)
    manifest.config = .object(members)
    let problems = manifest.claimProblems
    #expect(problems.count == 1)
    #expect(problems.first?.hasPrefix("its id is not the hash of its config") == true)
    members["no_such_key"] = .number(1)
    manifest.config = .object(members)
    #expect(manifest.claimProblems.first?.contains("unknown parameter 'no_such_key'") == true)
  }

  @Test(arguments: [
    ("records", JSONValue.number(3), "records is 3, but 10 steps of this config log 10 records"),
    ("status", .string("diverged"), "status is diverged but diverged_step is null"),
    ("steps_run", .number(9), "status is ok but steps_run is 9, not the config's 10 iterations"),
    ("diverged_step", .number(4), "status is ok but diverged_step is 4"),
    ("seed", .number(7), "seed is 7, its config has seed 1"),
    ("core_version", .string("0"), "it was made by core version 0, this build's core is"),
  ])
  func anEditedClaimIsNamed(key: String, value: JSONValue, expected: String) throws {
    guard case .object(var members) = Self.manifest().json else { throw CancellationError() }
    members[key] = value
    let edited = try CellManifest(json: .object(members))
    #expect(edited.claimProblems.first?.hasPrefix(expected) == true, "\(edited.claimProblems)")
  }

  @Test func aDivergedCellMustHaveStoppedAtItsStep() {
    var manifest = Self.manifest()
    manifest.status = .diverged
    manifest.divergedStep = 4
    manifest.stepsRun = 5
    manifest.records = 5
    #expect(manifest.claimProblems == [])
    manifest.stepsRun = 10
    #expect(
      manifest.claimProblems == ["status is diverged at step 4 but steps_run is 10 (expected 5)"])
  }

  /// The record count the claims check expects is the one the trainer logs.
  @Test(arguments: [(7, 3, 1), (7, 3, 2), (9, 4, 3), (1, 5, 5), (12, 5, 4)])
  func loggedRecordsMatchTheTrainer(iterations: Int, evalEvery: Int, logEvery: Int) {
    var config = sampleConfig()
    config.iterations = iterations
    config.evalEvery = evalEvery
    config.logEvery = logEvery
    config.imageSize = 8
    config.evalImages = 2
    var count = 0
    let outcome = Trainer(config: config).run { _ in count += 1 }
    #expect(outcome.status == .ok)
    #expect(loggedRecords(config, stepsRun: iterations, diverged: false) == count)
  }
}
