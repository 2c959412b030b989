// Tests for Series.swift: trailing moving average and min/max-envelope decimation.

import Testing

@testable import Report

@Test func movingAverageIsTrailingAndKeepsGaps() {
  let values: [Double?] = [1, 2, 3, nil, 5, 6]
  let smoothed = movingAverage(values, window: 2)
  #expect(smoothed == [1, 1.5, 2.5, nil, 5, 5.5])
  #expect(movingAverage(values, window: 1) == values)
  let three = movingAverage([3, 6, 9, 12], window: 3)
  #expect(three == [3, 4.5, 6, 9])
}

@Test func shortLinesAreKeptPointForPoint() {
  let points = decimate(steps: [0, 1, 2], values: [1, nil, 3], maxPoints: 10)
  #expect(points.count == 3)
  #expect(points[1] == nil)
  #expect(points[2] == LinePoint(step: 2, mean: 3, min: 3, max: 3))
}

@Test(arguments: [1, 7, 100, 2000])
func decimationKeepsAtMostMaxPointsAndEnvelopesEveryValue(maxPoints: Int) {
  var random = TestRandom(state: 42)
  let steps = Array(0..<10_001)
  let values: [Double?] = steps.map { step in
    step % 997 == 13 ? nil : random.next() * 10 - Double(step) / 1000
  }
  let points = decimate(steps: steps, values: values, maxPoints: maxPoints)
  #expect(points.compactMap { $0 }.count <= maxPoints)
  #expect(points.count <= maxPoints)
  // Every original value lies inside the band of the bucket that holds its step.
  let drawn = points.compactMap { $0 }
  for (i, value) in values.enumerated() {
    guard let value else { continue }
    guard let holder = drawn.first(where: { $0.firstStep <= steps[i] && steps[i] <= $0.lastStep })
    else {
      Issue.record("no bucket for step \(steps[i])")
      return
    }
    #expect(holder.min <= value && value <= holder.max, "step \(steps[i])")
    #expect(holder.min <= holder.mean && holder.mean <= holder.max)
  }
  // Buckets tile the steps in order without overlap.
  for (a, b) in zip(drawn, drawn.dropFirst()) { #expect(a.lastStep < b.firstStep) }
}

@Test func bucketsOfOnlyNullsBecomeGaps() {
  let steps = Array(0..<100)
  let values: [Double?] = steps.map { $0 >= 40 && $0 < 60 ? nil : 1 }
  let points = decimate(steps: steps, values: values, maxPoints: 10)
  #expect(points.count == 9)  // 8 points, one gap for the two all-null buckets
  #expect(points[4] == nil)
  #expect(points.compactMap { $0 }.count == 8)
}
