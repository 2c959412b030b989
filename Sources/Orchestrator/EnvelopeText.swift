// The determinism envelope as `sweep rerun` and `sweep verify` print it: both envelopes of a
// rerun and the verdict, and the distinct envelopes a sweep was made on.
import Artifacts

/// The envelope lines and verdict of a rerun: "reproduced bit-for-bit: made on A (avx2), rerun
/// on B (avx512)", or for different bytes which parts of the envelope differ.
public func envelopeVerdict(_ outcome: RerunOutcome) -> String {
  let rerun = outcome.rerunOn
  var text = ""
  if let made = outcome.madeOn {
    text += "made on:\n" + made.lines.map { "  \($0)\n" }.joined()
  } else {
    text += "made on: (the manifest records no envelope: it predates envelopes)\n"
  }
  text += "rerun on:\n" + rerun.lines.map { "  \($0)\n" }.joined()
  let made = outcome.madeOn.map(\.shortText) ?? "an unrecorded machine"
  let differing = outcome.madeOn.map { $0.differences(from: rerun) }
  let same = differing?.isEmpty == true
  let place =
    same
    ? "made and rerun on \(rerun.shortText), same envelope"
    : "made on \(made), rerun on \(rerun.shortText)"
  if outcome.reproduced {
    text += "reproduced bit-for-bit: \(place)"
    if let differing, !differing.isEmpty {
      text += " (envelope differs in \(differing.joined(separator: ", ")))"
    }
    return text + "\n"
  }
  text += "NOT reproduced: \(place)\n"
  switch differing {
  case nil:
    text += "the stored cell records no envelope, so what changed cannot be told\n"
  case let parts? where parts.isEmpty:
    text +=
      "the envelopes are identical: same machine, build and float mode, so the difference is "
      + "in the stored files, not in where they were made\n"
  case let parts?:
    text += "envelope parts that differ: \(parts.joined(separator: ", "))\n"
  }
  return text
}

/// "made on 1 envelope: …" or "made on 2 distinct envelopes:" with one line per envelope and
/// its cell count; empty when the directory has no cells.
public func envelopeCountText(_ counts: [(envelope: RunEnvelope?, cells: Int)]) -> String {
  guard !counts.isEmpty else { return "" }
  let known = counts.filter { $0.envelope != nil }.count
  var text = "made on \(known) distinct envelope\(known == 1 ? "" : "s"):\n"
  for (envelope, cells) in counts {
    let plural = cells == 1 ? "" : "s"
    guard let envelope else {
      text += "  \(cells) cell\(plural) with no envelope (made before envelopes were recorded)\n"
      continue
    }
    text +=
      "  \(cells) cell\(plural): \(envelope.shortText), \(envelope.os), \(envelope.swiftCompiler), "
      + "binary \(envelope.binarySHA256.prefix(12)), \(envelope.floatingPointMode), "
      + "core \(envelope.coreVersion), \(envelope.kernels) kernels\n"
  }
  return text
}
