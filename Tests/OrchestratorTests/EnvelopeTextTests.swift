// Tests of the envelope texts of `sweep rerun` and `sweep verify`.
import Artifacts
import Testing

@testable import Orchestrator

private func outcome(reproduced: Bool, madeOn: RunEnvelope?) -> RerunOutcome {
  RerunOutcome(
    comparison: nil, storedContentSHA256: "a", newContentSHA256: reproduced ? "a" : "b",
    unreadableLog: reproduced ? nil : "the file does not exist", diskGzipSHA256: nil,
    manifestGzipSHA256: "", manifestProblems: [], madeOn: madeOn)
}

@Test func rerunVerdictNamesBothMachines() {
  var epyc = RunEnvelope.current
  epyc.cpuModel = "AMD EPYC 7B13"
  epyc.cpuVendor = "AuthenticAMD"
  epyc.cpuFlags = ["avx2", "fma"]
  let text = envelopeVerdict(outcome(reproduced: false, madeOn: epyc))
  #expect(text.contains("made on:\n  cpu_vendor"))
  #expect(text.contains("NOT reproduced: made on AMD EPYC 7B13 (avx2), rerun on "))
  #expect(text.contains("envelope parts that differ: cpu_vendor, cpu_model, cpu_flags"))
}

@Test func rerunVerdictOnTheSameEnvelopeBlamesTheFiles() {
  let text = envelopeVerdict(outcome(reproduced: false, madeOn: .current))
  #expect(text.contains("the envelopes are identical"))
  let none = envelopeVerdict(outcome(reproduced: false, madeOn: nil))
  #expect(none.contains("records no envelope"))
}

@Test func envelopeCountTextCountsDistinctEnvelopes() {
  var other = RunEnvelope.current
  other.cpuModel = "AMD EPYC 7B13"
  let text = envelopeCountText([(.current, 3), (other, 1), (nil, 2)])
  #expect(text.hasPrefix("made on 2 distinct envelopes:\n"))
  #expect(text.contains("  1 cell: AMD EPYC 7B13"))
  #expect(text.contains("2 cells with no envelope"))
  #expect(envelopeCountText([]).isEmpty)
}
