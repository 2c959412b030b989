// Tests of the NDJSON line format of step records.

import CanonicalJSON
import Testing
import TrainingCore

@testable import Artifacts

@Suite struct NDJSONTests {
  @Test func keysInFixedOrderWithAccuracyOnEvalSteps() {
    let record = StepRecord(
      step: 250, losses: [0.1, 0.5], gradNorms: [1, 2.5e-7], accuracy: 0.953125)
    #expect(
      ndjsonLine(record, track: [.cce, .dicefg])
        == "{\"step\":250,\"loss_cce\":0.1,\"loss_dicefg\":0.5,\"grad_cce\":1,"
        + "\"grad_dicefg\":2.5e-07,\"accuracy\":0.953125}\n")
    let plain = StepRecord(step: 3, losses: [0.25], gradNorms: [0.125], accuracy: nil)
    #expect(
      ndjsonLine(plain, track: [.dice]) == "{\"step\":3,\"loss_dice\":0.25,\"grad_dice\":0.125}\n")
  }

  @Test(arguments: [Float.nan, .infinity, -.infinity])
  func nonFiniteValuesAreNull(value: Float) {
    let record = StepRecord(step: 0, losses: [value], gradNorms: [value], accuracy: .nan)
    #expect(
      ndjsonLine(record, track: [.cce])
        == "{\"step\":0,\"loss_cce\":null,\"grad_cce\":null,\"accuracy\":null}\n")
  }

  @Test func floatsAreShortestRoundTrip() throws {
    let values: [Float] = [0.1, 1.0 / 3.0, 0.6931472, 1e-30, 123_456_792]
    let record = StepRecord(step: 1, losses: values, gradNorms: values, accuracy: nil)
    let line = ndjsonLine(record, track: Loss.allCases)
    #expect(line.contains("\"loss_cce\":0.1,"))
    #expect(line.contains("\"loss_dice\":0.33333334,"))
    #expect(line.contains("\"loss_dicefg_square\":123456790"))
    let parsed = try JSONValue(parsing: line)
    #expect(parsed["loss_dice"]?.doubleValue.map { Float($0) } == values[1])
    #expect(parsed["loss_dicefg"]?.doubleValue.map { Float($0) } == values[3])
  }

  @Test(arguments: Loss.allCases)
  func everyLossNameAppears(loss: Loss) {
    let record = StepRecord(step: 0, losses: [1], gradNorms: [2], accuracy: nil)
    #expect(
      ndjsonLine(record, track: [loss])
        == "{\"step\":0,\"loss_\(loss.rawValue)\":1,\"grad_\(loss.rawValue)\":2}\n")
  }
}

@Suite struct StepLogCodecTests {
  /// `sweep train --out` wrote `gzip` of the whole NDJSON; the codec streams it line by line as
  /// `CellWriter` does. Both must be the same file.
  @Test func streamingAndWholeGzipAreTheSameFile() throws {
    let records = sampleRecords(60)
    let encoded = try StepLogCodec.encode(records: records, track: Loss.allCases)
    #expect(
      encoded.ndjson == Array(records.map { ndjsonLine($0, track: Loss.allCases) }.joined().utf8))
    #expect(encoded.gzip == (try gzip(encoded.ndjson)))
    #expect(try gunzip(encoded.gzip) == encoded.ndjson)
  }

  @Test func readersSeeTheLastStepAndTheStatus() throws {
    var records = sampleRecords(5)
    let ok = StepLogCodec.lines(
      ofNDJSON: try StepLogCodec.encode(records: records, track: [.cce]).ndjson)
    #expect(StepLogCodec.lastStep(ofLines: ok) == 4)
    #expect(StepLogCodec.runStatus(ofLines: ok) == .ok)
    records[4].losses[0] = .nan
    let diverged = StepLogCodec.lines(
      ofNDJSON: try StepLogCodec.encode(records: records, track: [.cce]).ndjson)
    #expect(StepLogCodec.runStatus(ofLines: diverged) == .diverged(step: 4))
  }
}
