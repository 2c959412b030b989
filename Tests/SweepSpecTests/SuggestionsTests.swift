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
}
