// Tests of the sweep manifest: entries, ordering, JSON round trip, files.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct SweepManifestTests {
  static func sample(run: JSONValue = .object(["host": .string("h")])) -> SweepManifest {
    let cells = ["c", "a", "b"].map {
      cellManifest(
        $0, config: configJSON(seed: $0.count), finalAccuracy: 0.9,
        run: .object(["wall_seconds": .number(3)]))
    }
    return SweepManifest(
      name: "paper", specPath: "sweeps/paper.yaml", specSHA256: fakeID("spec"),
      toolVersion: "0.1.0", cells: cells, missing: [fakeID("z"), fakeID("y")], run: run)
  }

  @Test func entriesAreSortedAndCarryNoRunSection() {
    let manifest = Self.sample()
    #expect(manifest.cells.map(\.id) == manifest.cells.map(\.id).sorted())
    #expect(manifest.missing == [fakeID("z"), fakeID("y")].sorted())
    #expect(manifest.cells.allSatisfy { $0.json["run"] == nil })
    #expect(manifest.coreVersion == coreSemanticsVersion)
  }

  @Test func jsonRoundTripAndCanonicalBytes() throws {
    let manifest = Self.sample()
    let parsed = try SweepManifest(json: try JSONValue(parsing: manifest.json.prettyText))
    #expect(parsed == manifest)
    let text = manifest.json.canonicalText
    #expect(text.hasPrefix("{\"cells\":[{\"config\":"))
    #expect(
      text.contains("\"schema\":\"segsweep.sweep/1\",\"spec\":{\"path\":\"sweeps/paper.yaml\","))
  }

  @Test func onlyTheRunSectionDependsOnTheRun() {
    let a = Self.sample(run: .object(["host": .string("a")]))
    let b = Self.sample(run: .object(["host": .string("b")]))
    var withoutRunA = a
    withoutRunA.run = .null
    var withoutRunB = b
    withoutRunB.run = .null
    #expect(a != b)
    #expect(withoutRunA.json.prettyText == withoutRunB.json.prettyText)
  }

  @Test func writeAndLoadFromDirectoryOrFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let manifest = Self.sample()
    try manifest.write(to: directory.path)
    #expect(directory.files() == ["manifest.json"])
    #expect(try SweepManifest.load(path: directory.path) == manifest)
    #expect(try SweepManifest.load(path: directory.path + "/manifest.json") == manifest)
    #expect(
      try String(contentsOfFile: directory.path + "/manifest.json", encoding: .utf8)
        == manifest.json.prettyText)
  }

  @Test func unreadableFileIsABadManifestNamingIt() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/manifest.json"
    try "{\"schema\": \n".write(toFile: path, atomically: false, encoding: .utf8)
    do {
      _ = try SweepManifest.load(path: directory.path)
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix(path + ":2:1: bad manifest"))
    }
  }
}

@Suite struct ResolvedSweepTests {
  static let text = "name: r\ngrid:\n  loss: [cce, dice]\nfixed: {iterations: 3}\n"

  @Test func roundTripsAndExpandsToTheSameCells() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let record = ResolvedSweep(
      specPath: "sweeps/r.yaml", specText: Self.text, overrides: ["iterations=2"], maxCells: 50)
    try record.write(to: directory.path)
    #expect(directory.files() == ["resolved-sweep.json"])
    let loaded = try ResolvedSweep.load(sweepDirectory: directory.path)
    #expect(loaded == record)
    let sweep = try record.expand()
    #expect(sweep.name == "r")
    #expect(sweep.cells.count == 2)
    #expect(sweep.cells.allSatisfy { $0.config.iterations == 2 })
    #expect(
      record.runCommand(resultsRoot: "out", shard: "0/2")
        == "sweep run sweeps/r.yaml --results out --shard 0/2 --set iterations=2 --max-cells 50")
    #expect(try ResolvedSweep.load(sweepDirectory: directory.path + "/none") == nil)
  }

  @Test func anEditedTextIsRefused() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let record = ResolvedSweep(
      specPath: "r.yaml", specText: Self.text, overrides: [], maxCells: 100_000)
    guard case .object(var members) = record.json, case .object(var spec) = members["spec"]
    else { return }
    spec["text"] = .string(Self.text + "seeds: 3\n")
    members["spec"] = .object(spec)
    try writeAtomically(
      Array(JSONValue.object(members).prettyText.utf8),
      to: "\(directory.path)/resolved-sweep.json")
    #expect(throws: ArtifactsError.self) {
      try ResolvedSweep.load(sweepDirectory: directory.path)
    }
  }
}
