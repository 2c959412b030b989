// Tests of cell ids: what changes an id and what doesn't, and prefix resolution.

import CanonicalJSON
import Foundation
import Testing
import TrainingCore

@testable import SweepSpec

@Suite struct CellIDTests {
  @Test func idIsTheHashOfTheCanonicalConfigCoreVersionAndNumericFingerprint() {
    let config = TrainingConfig()
    let text =
      Parameters.canonical(config).canonicalText + "\ncore:" + coreSemanticsVersion
      + "\nnumerics:" + numericFingerprint
    #expect(numericFingerprint.count == 16)
    let id = CellID(config: config)
    #expect(id.hex == CellID.hexDigest(Array(text.utf8)))
    #expect(id.hex.count == 64)
    #expect(id.short == String(id.hex.prefix(12)))
    #expect(id.description == id.short)
    #expect(CellID(hex: id.hex.uppercased()) == id)
    #expect(CellID(hex: "abc") == nil)
    #expect(CellID(hex: String(repeating: "g", count: 64)) == nil)
  }

  @Test func sha256OfKnownInput() {
    #expect(
      CellID.hexDigest(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func axisOrderCommentsAndNameDoNotChangeIds() throws {
    let a = try Sweep.parse(
      text: """
        name: first
        grid:
          loss: [cce, dice]
          theta: [0.05, 0.5]
        fixed: {iterations: 100}
        """, path: "a.yaml")
    let b = try Sweep.parse(
      text: """
        # the same cells, written differently
        name: second
        fixed:
          iterations: 100   # short
        grid:
          theta: [0.5, 0.05]
          loss: [dice, cce]
        seeds: [1]
        """, path: "elsewhere/b.yaml")
    #expect(a.cells.map(\.id) != b.cells.map(\.id))
    #expect(Set(a.cells.map(\.id)) == Set(b.cells.map(\.id)))
  }

  @Test func fixedAndSingleValueAxisGiveTheSameId() throws {
    let a = try Sweep.parse(text: "fixed: {theta: 0.5, filters: 4}", path: "a.yaml")
    let b = try Sweep.parse(text: "grid: {theta: [0.50]}", path: "b.yaml")
    #expect(a.cells.map(\.id) == b.cells.map(\.id))
  }

  /// A different valid value for every parameter.
  static let changes: [String] = [
    "loss=dice", "theta=0.25", "batch_norm=true", "bn_eval=batch", "bn_momentum=0.9",
    "optimizer=sgd", "learning_rate=0.002",
    "beta1=0.8", "beta2=0.99", "adam_epsilon=1.0e-7", "iterations=10000", "batch_size=3",
    "image_size=16", "eval_images=99", "eval_every=100", "log_every=2", "n_conv=3", "filters=8",
    "track=[cce]", "seed=1",
  ]

  @Test func everyParameterIsCovered() {
    #expect(Self.changes.map { String($0.prefix { $0 != "=" }) } == Parameters.names)
  }

  @Test(arguments: changes)
  func anyParameterChangesTheId(change: String) throws {
    var config = TrainingConfig()
    let (key, value) = try Parameters.assignment(change)
    try Parameters.apply(key, value, to: &config)
    #expect(config != TrainingConfig())
    #expect(CellID(config: config) != CellID(config: TrainingConfig()))
  }

  static let ids: [CellID] = [
    "abcd0000" + String(repeating: "0", count: 56),
    "abcd1111" + String(repeating: "1", count: 56),
    "ef010203" + String(repeating: "2", count: 56),
  ].compactMap { CellID(hex: $0) }

  @Test func uniquePrefixAndFullIdResolve() throws {
    #expect(Self.ids.count == 3)
    #expect(try resolveCell("ef01", among: Self.ids) == Self.ids[2])
    #expect(try resolveCell("ABCD1", among: Self.ids) == Self.ids[1])
    #expect(try resolveCell(Self.ids[0].hex, among: Self.ids) == Self.ids[0])
    #expect(try resolveCell("ef01", among: Self.ids + Self.ids) == Self.ids[2])
  }

  @Test func ambiguousPrefixListsTheCandidates() {
    #expect(throws: SweepSpecError.ambiguousCell("abcd", candidates: [Self.ids[0], Self.ids[1]])) {
      try resolveCell("abcd", among: Self.ids.reversed())
    }
  }

  @Test(arguments: [
    ("ffff", SweepSpecError.unknownCell("ffff")),
    ("abc", .badCellPrefix("abc")),
    ("abcx", .badCellPrefix("abcx")),
    ("", .badCellPrefix("")),
  ])
  func badPrefixes(prefix: String, expected: SweepSpecError) {
    #expect(throws: expected) { try resolveCell(prefix, among: Self.ids) }
  }

  @Test func cellsOfTheSmokeSweepResolveByShortId() throws {
    let sweep = try Sweep.load(path: sweepFile("smoke"))
    let ids = sweep.cells.map(\.id)
    for id in ids {
      #expect(try resolveCell(id.short, among: ids) == id)
    }
    #expect(sweep.cells.first?.canonicalConfig == Parameters.canonical(sweep.cells[0].config))
  }

  /// Cell ids hash `Parameters.canonicalText`, written without a dictionary; it must stay the
  /// exact canonical text of the canonical config, for every cell of a sample grid and for the
  /// configs stored in the golden manifest (compared as text, so a later change of the id's
  /// recipe does not matter here).
  @Test func canonicalTextIsTheCanonicalConfigsText() throws {
    let sweep = try Sweep.load(path: sweepFile("paper"))
    for cell in sweep.cells {
      #expect(Parameters.canonicalText(cell.config) == cell.canonicalConfig.canonicalText)
    }
    var odd = TrainingConfig()
    odd.theta = 0.1 + 0.2
    odd.learningRate = 1e-300
    odd.seed = 1 << 53
    odd.track = [.dice]
    #expect(Parameters.canonicalText(odd) == Parameters.canonical(odd).canonicalText)
    let golden = repositoryRoot.appendingPathComponent("results/golden/ci/manifest.json")
    let manifest = try JSONValue(parsing: String(contentsOf: golden, encoding: .utf8))
    let cells = try #require(manifest["cells"]?.arrayValue)
    #expect(cells.count == 40)
    for cell in cells {
      let stored = try #require(cell["config"])
      let config = try Parameters.config(fromCanonical: stored)
      #expect(Parameters.canonicalText(config) == stored.canonicalText)
    }
  }
}

@Suite struct CellIdentityTests {
  @Test func aCellsOwnConfigVerifies() throws {
    let cell = Cell(config: TrainingConfig())
    #expect(try cell.id.config(verifying: cell.canonicalConfig) == cell.config)
    #expect(cell.id.mismatch(canonicalConfig: cell.canonicalConfig) == nil)
  }

  @Test func anotherCellsConfigIsRefusedNamingItsID() {
    var other = TrainingConfig()
    other.seed = 99
    let id = CellID(config: TrainingConfig())
    let problem = id.mismatch(canonicalConfig: Parameters.canonical(other))
    #expect(
      problem
        == "its id is not the hash of its config (the config hashes to "
        + "\(CellID(config: other).short))")
  }

  @Test func anEditedOrInvalidConfigIsRefused() throws {
    let cell = Cell(config: TrainingConfig())
    guard case .object(var members) = cell.canonicalConfig else { throw CancellationError() }
    members["no_such_key"] = .number(1)
    #expect(
      cell.id.mismatch(canonicalConfig: .object(members))?.hasPrefix(
        "its config is not a valid config") == true)
  }

  @Test func lowercaseHexIsTheOneEncoder() {
    #expect(lowercaseHex([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
  }
}
