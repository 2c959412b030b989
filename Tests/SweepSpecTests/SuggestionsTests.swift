// Tests of did-you-mean suggestions.

import Testing

@testable import SweepSpec

@Suite struct SuggestionsTests {
  @Test(arguments: [
    ("kitten", "sitting", 3),
    ("dcie", "dice", 1),
    ("", "abc", 3),
    ("same", "same", 0),
  ])
  func editDistance(a: String, b: String, distance: Int) {
    #expect(Suggestions.editDistance(a, b) == distance)
  }

  @Test func closestIsOnlySuggestedWhenClose() {
    #expect(Suggestions.closest(to: "iteratons", in: Parameters.names) == "iterations")
    #expect(Suggestions.closest(to: "Theta", in: Parameters.names) == "theta")
    #expect(Suggestions.closest(to: "zzz", in: Parameters.names) == nil)
    #expect(Suggestions.hint(for: "zzz", in: Parameters.names) == "")
  }

  @Test func longWordsGetNoSuggestion() {
    let name = String(repeating: "a", count: 70)
    let typo = name.dropLast() + "b"
    #expect(Suggestions.editDistance(String(typo), name) == 1)
    #expect(Suggestions.closest(to: String(typo), in: [name]) == nil)
    #expect(
      Suggestions.closest(to: String(repeating: "x", count: 900_000), in: Parameters.names) == nil)
  }

  @Test(arguments: [("lr", "learning_rate"), ("LR", "learning_rate"), ("bn", "batch_norm")])
  func aliasesSuggestTheParameterTheyMean(alias: String, name: String) {
    #expect(Suggestions.closest(to: alias, in: Parameters.names) == name)
    #expect(Suggestions.hint(for: alias, in: Parameters.names) == "; did you mean '\(name)'?")
  }

  @Test func anAliasIsOnlySuggestedWhenItsTargetIsACandidate() {
    #expect(Suggestions.closest(to: "lr", in: ["loss", "theta"]) == nil)
  }

  @Test func anAliasIsStillAnUnknownParameter() {
    #expect(throws: SweepSpecError.self) {
      try Sweep.parse(text: "grid:\n  lr: [0.1]\n", path: "a.yaml")
    }
    do {
      _ = try Sweep.parse(text: "grid:\n  theta: [0.5]\n", path: "a.yaml", overrides: ["lr=0.1"])
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".contains("unknown parameter 'lr'; did you mean 'learning_rate'?"))
    }
  }
}
