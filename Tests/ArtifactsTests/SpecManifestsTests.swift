// Tests of per-spec manifests: one cell store shared by the variants of a sweep.

import CanonicalJSON
import Foundation
import Testing

@testable import Artifacts

@Suite struct SpecManifestsTests {
  static func manifest(_ cells: [CellManifest], missing: [String] = [], path: String = "s.yaml")
    -> SweepManifest
  {
    SweepManifest(
      name: "s", specPath: path, specSHA256: fakeID(path), toolVersion: "0", cells: cells,
      missing: missing, run: .object([:]))
  }

  /// Writes real cells (ids the hashes of their configs), one per label, into `directory`.
  static func cells(_ labels: [String], in directory: TemporaryDirectory) throws -> [CellManifest] {
    try labels.enumerated().map { i, _ in
      let cell = realCell(iterations: 5, seed: UInt64(i + 1))
      let writer = try CellWriter(
        directory: SweepDirectory(directory.path), id: testID(cell.hex),
        canonicalConfig: cell.canonical,
        config: cell.config)
      for record in sampleRecords(5) { try writer.append(record) }
      return try writer.finish(status: .ok, stepsRun: 5, run: .object([:]))
    }
  }

  @Test func theKeyDependsOnThePlannedIdsOnly() {
    let ids = [fakeID("a"), fakeID("b"), fakeID("c")]
    #expect(SpecManifests.key(ofCellIDs: ids) == SpecManifests.key(ofCellIDs: ids.reversed()))
    #expect(SpecManifests.key(ofCellIDs: ids) != SpecManifests.key(ofCellIDs: ids.dropLast()))
    #expect(SpecManifests.key(ofCellIDs: ids).count == 16)
    let done = Self.manifest(
      [cellManifest("a", config: configJSON(), finalAccuracy: 0.5)],
      missing: [fakeID("b"), fakeID("c")])
    #expect(SpecManifests.key(of: done) == SpecManifests.key(ofCellIDs: ids))
  }

  @Test func recordKeepsEverySpecAndVerifyCountsTheirCellsAsTheirs() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let all = try Self.cells(["a", "b", "c"], in: directory)
    let original = Self.manifest(Array(all.prefix(2)))
    // A folder from before per-spec manifests: only manifest.json.
    try original.write(to: directory.path)
    #expect(verifySweep(directory: directory.path).map(\.kind) == [.cellWithoutEntry])
    let variant = Self.manifest(all, path: "variant.yaml")
    try SpecManifests.record(variant, in: directory.path)
    try variant.write(to: directory.path)
    let keys = [SpecManifests.key(of: original), SpecManifests.key(of: variant)].sorted()
    #expect(
      directory.files("manifests")
        == keys.flatMap { ["\($0).json", "\($0).summary.csv", "\($0).summary.md"] })
    #expect(verifySweep(directory: directory.path) == [])
    let recorded = SpecManifests.recorded(in: directory.path)
    #expect(recorded.map(\.key) == keys)
    #expect(recorded.filter(\.isLatest).map(\.key) == [SpecManifests.key(of: variant)])
    #expect(SpecManifests.listing(in: directory.path)?.contains("2 specs share the cells") == true)
    // Back to the original: manifest.json is its again, the variant's stays.
    try SpecManifests.record(original, in: directory.path)
    try original.write(to: directory.path)
    #expect(verifySweep(directory: directory.path) == [])
    #expect(
      try SpecManifests.path(
        in: directory.path, spec: String(SpecManifests.key(of: variant).prefix(6)))
        == SpecManifests.manifestPath(in: directory.path, key: SpecManifests.key(of: variant)))
  }

  @Test func aCellOfNoSpecIsStillReported() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let all = try Self.cells(["a", "b"], in: directory)
    let spec = Self.manifest([all[0]])
    try SpecManifests.record(spec, in: directory.path)
    try spec.write(to: directory.path)
    let problems = verifySweep(directory: directory.path)
    #expect(problems.map(\.kind) == [.cellWithoutEntry])
    #expect(problems.first?.file.hasSuffix("\(all[1].id.hex).json") == true)
  }

  @Test func aStaleSpecCopyIsReported() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let all = try Self.cells(["a"], in: directory)
    var spec = Self.manifest(all)
    try SpecManifests.record(spec, in: directory.path)
    spec.specPath = "edited.yaml"
    try spec.write(to: directory.path)
    #expect(
      verifySweep(directory: directory.path).map(\.message) == [
        "differs from manifest.json, which is the same spec; run `sweep merge`"
      ])
  }

  @Test func runNotesAnotherSpecsManifest() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let all = try Self.cells(["a", "b"], in: directory)
    let spec = Self.manifest(all)
    try SpecManifests.record(spec, in: directory.path)
    try spec.write(to: directory.path)
    #expect(
      SpecManifests.otherSpecNote(directory: directory.path, plannedIDs: all.map(\.id.hex)) == nil)
    let note = SpecManifests.otherSpecNote(
      directory: directory.path, plannedIDs: [all[0].id.hex, fakeID("new")])
    #expect(note?.contains("holds another spec's manifest: \(SpecManifests.key(of: spec))") == true)
    #expect(note?.contains("2 cells, 1 of them in this one") == true)
  }

  @Test func anUnknownSpecNamesTheFlag() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    #expect {
      _ = try SpecManifests.path(in: directory.path, spec: "ffff")
    } throws: { error in
      "\(error)".hasPrefix("--spec ffff: no spec of \(directory.path) starts with it")
    }
  }

  @Test(arguments: [
    ("r/paper/manifest.json", "r/paper"), ("r/paper/manifests/0123.json", "r/paper"),
    ("manifest.json", "."),
  ])
  func theSweepDirectoryOfAManifestPath(path: String, directory: String) {
    #expect(sweepDirectory(ofManifestPath: path) == directory)
  }
}
