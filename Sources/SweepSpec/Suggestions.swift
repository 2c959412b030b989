// "Did you mean …?" for misspelt keys and values: the closest candidate by edit distance.

enum Suggestions {
  /// Words longer than this get no suggestion: no typo of a name is that long, and the edit
  /// distance of a 900 KB value would cost seconds.
  static let maxWordLength = 64

  /// Names people bring from other tools, and the parameter each means. Suggested, never
  /// accepted: a config has one spelling, so a cell id has one too.
  static let aliases: [String: String] = [
    "lr": "learning_rate", "learningrate": "learning_rate", "bn": "batch_norm",
    "batchnorm": "batch_norm", "epochs": "iterations", "steps": "iterations",
    "iters": "iterations", "max_steps": "iterations", "optim": "optimizer", "opt": "optimizer",
    "eps": "adam_epsilon", "epsilon": "adam_epsilon", "bs": "batch_size",
    "threshold": "theta", "criterion": "loss", "layers": "n_conv", "channels": "filters",
  ]

  /// The candidate closest to `word`, if it is close enough to be a likely typo, or the
  /// candidate `word` is a known alias of.
  static func closest(to word: String, in candidates: [String]) -> String? {
    guard word.utf8.count <= maxWordLength * 4, word.count <= maxWordLength else { return nil }
    let lowered = word.lowercased()
    if let target = aliases[lowered], candidates.contains(target) { return target }
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(lowered, candidate.lowercased())
      if best == nil || distance < (best?.distance ?? Int.max) {
        best = (candidate, distance)
      }
    }
    guard let best else { return nil }
    let allowed = max(1, min(3, (max(word.count, best.name.count) + 2) / 3))
    return best.distance <= allowed ? best.name : nil
  }

  /// `"; did you mean 'x'?"` or an empty string.
  static func hint(for word: String, in candidates: [String]) -> String {
    guard let match = closest(to: word, in: candidates) else { return "" }
    return "; did you mean '\(match)'?"
  }

  /// Edit distance counting insertions, deletions, substitutions and swaps of neighbours as one
  /// edit each (optimal string alignment), so `dcie` is one edit from `dice`.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    // Three rolling rows (i - 2, i - 1, i) instead of the whole table.
    var before = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var best = min(previous[j - 1] + cost, previous[j] + 1, current[j - 1] + 1)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          best = min(best, before[j - 2] + 1)
        }
        current[j] = best
      }
      (before, previous, current) = (previous, current, before)
    }
    return previous[b.count]
  }
}
