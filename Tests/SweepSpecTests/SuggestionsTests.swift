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
}
