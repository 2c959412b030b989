// Tests for Format.swift: locale-free numbers, nice ticks, escaping, titles and extra keys.

import Foundation
import Testing
import TrainingCore

@testable import Report

@Test(arguments: [
  (1.0, 0, "1"), (0.5, 2, "0.50"), (-0.05, 2, "-0.05"), (0.004, 2, "0.00"), (123.456, 1, "123.5"),
  (2.5, 0, "3"),
])
func fixedFormatsWithoutLocale(value: Double, decimals: Int, expected: String) {
  #expect(fixed(value, decimals) == expected)
}

@Test(arguments: [(1000.0, "1e3"), (0.00125, "1.25e-3"), (-2.5e7, "-2.5e7"), (0.0, "0")])
func scientificDropsTrailingZeros(value: Double, expected: String) {
  #expect(scientific(value) == expected)
}

@Test func compactUsesFixedForOrdinaryValues() {
  #expect(compact(0.05) == "0.05")
  #expect(compact(2) == "2")
  #expect(compact(1000) == "1000")
  #expect(compact(2500) == "2500")
  #expect(compact(120) == "120")
  #expect(compact(1e-5) == "1e-5")
}

@Test(arguments: [(0.0, 1.0), (0.13, 0.71), (-3.0, 17.0), (0.5, 0.5), (1e-7, 3e-7), (2e7, 9e7)])
func linearTicksCoverTheRangeWithNiceSteps(low: Double, high: Double) {
  let ticks = linearTicks(low: low, high: high)
  #expect(ticks.low <= low && ticks.high >= high)
  #expect(ticks.values.count >= 2 && ticks.values.count <= 12)
  let step = ticks.values[1] - ticks.values[0]
  let exponent = (log10(step)).rounded(.down)
  let mantissa = (step / power10(Int(exponent)) * 1000).rounded() / 1000
  #expect([1, 2, 5, 10].contains(mantissa), "step \(step)")
  // Labels are distinct, so the axis reads unambiguously.
  #expect(Set(ticks.values.map(ticks.label)).count == ticks.values.count)
}

@Test func logTicksAreDecades() {
  let ticks = logTicks(low: 0.003, high: 0.2)
  #expect(ticks.low == 0.001)
  #expect(ticks.high == 1)
  #expect(ticks.values == [0.001, 0.01, 0.1, 1])
  #expect(ticks.isLog)
  let wide = logTicks(low: 1e-12, high: 1e6)
  #expect(wide.values.count <= 7)
  #expect(wide.low <= 1e-12 && wide.high >= 1e6)
}

@Test func escapingCoversMarkupCharacters() {
  #expect(escapeMarkup("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
}

@Test func figureTitleFollowsThePublishedWording() {
  let c = config(theta: 0.95, batchNorm: false, optimizer: .adam, seed: 1)
  #expect(figureTitle(c, extraKeys: []) == "5% foreground, Adam, batch norm off, seed 1")
  let d = config(theta: 0.05, batchNorm: true, optimizer: .sgd, seed: 3)
  #expect(figureTitle(d, extraKeys: []) == "95% foreground, SGD, batch norm on, seed 3")
}

@Test func varyingExtraKeysFindsOnlyWhatDiffers() {
  var a = config()
  var b = config(loss: .dice, theta: 0.05)
  #expect(varyingExtraKeys([a, b]).isEmpty)
  a.learningRate = 0.01
  b.track = [.cce]
  #expect(varyingExtraKeys([a, b]) == ["learning_rate", "track"])
  #expect(extrasLabel(a, keys: ["learning_rate"]) == "learning_rate=0.01")
}
