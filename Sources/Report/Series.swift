// Line preparation for the figures: trailing moving average and decimation of long series into
// per-bucket mean, min and max, so a 10,001-step run stays a small SVG.

/// One drawn point of a line: the mean of a bucket of steps and the band of its values.
struct LinePoint: Equatable {
  var step: Double
  var mean: Double
  var min: Double
  var max: Double
  /// The first and last step of the bucket (the same for an undecimated point).
  var firstStep: Int
  var lastStep: Int

  init(
    step: Double, mean: Double, min: Double, max: Double, firstStep: Int? = nil,
    lastStep: Int? = nil
  ) {
    self.step = step
    self.mean = mean
    self.min = min
    self.max = max
    self.firstStep = firstStep ?? Int(step)
    self.lastStep = lastStep ?? Int(step)
  }
}

/// Trailing moving average over the last `window` positions. A `nil` stays `nil` (a gap); a
/// value is averaged with the finite values among the `window - 1` positions before it.
func movingAverage(_ values: [Double?], window: Int) -> [Double?] {
  guard window > 1 else { return values }
  var out: [Double?] = []
  out.reserveCapacity(values.count)
  var sum = 0.0
  var count = 0
  for (i, value) in values.enumerated() {
    if let v = value {
      sum += v
      count += 1
    }
    if i >= window, let old = values[i - window] {
      sum -= old
      count -= 1
    }
    if value == nil || count == 0 {
      out.append(nil)
    } else {
      out.append(sum / Double(count))
    }
  }
  return out
}

/// Decimates a line to at most `maxPoints` points. Short lines come back point for point (with
/// `nil` for gaps). Longer ones are cut into `maxPoints` equal step ranges; each range with a
/// finite value gives one point (mean step, mean, min, max of its finite values), a range whose
/// values are all `nil` gives a gap, and an empty range gives nothing.
func decimate(steps: [Int], values: [Double?], maxPoints: Int) -> [LinePoint?] {
  let n = min(steps.count, values.count)
  guard n > 0 else { return [] }
  let limit = max(1, maxPoints)
  if n <= limit {
    return (0..<n).map { i in
      values[i].map { LinePoint(step: Double(steps[i]), mean: $0, min: $0, max: $0) }
    }
  }
  let first = Double(steps[0])
  let span = Double(steps[n - 1]) - first
  var out: [LinePoint?] = []
  var index = 0
  for bucket in 0..<limit {
    let upper = first + span * Double(bucket + 1) / Double(limit)
    var seen = 0
    var finite = 0
    var sum = 0.0
    var stepSum = 0.0
    var low = Double.infinity
    var high = -Double.infinity
    let start = index
    while index < n && (Double(steps[index]) < upper || bucket == limit - 1) {
      seen += 1
      if let v = values[index] {
        finite += 1
        sum += v
        stepSum += Double(steps[index])
        low = Swift.min(low, v)
        high = Swift.max(high, v)
      }
      index += 1
    }
    if seen == 0 { continue }
    if finite == 0 {
      if let last = out.last, last != nil { out.append(nil) }
      continue
    }
    out.append(
      LinePoint(
        step: stepSum / Double(finite), mean: sum / Double(finite), min: low, max: high,
        firstStep: steps[start], lastStep: steps[index - 1]))
  }
  return out
}
