// Tests of the step-log comparison used by `sweep rerun`.

import Testing
import TrainingCore

@testable import Artifacts

@Suite struct RecordComparisonTests {
  static func log(_ records: [StepRecord]) -> [UInt8] {
    Array(records.map { ndjsonLine($0, track: Loss.allCases) }.joined().utf8)
  }

  @Test func identicalLogs() {
    let a = Self.log(sampleRecords(10))
    let comparison = compareRecordStreams(stored: a, recomputed: a)
    #expect(comparison.identical)
    #expect(comparison.storedRecords == 10)
  }

  @Test func firstDifferenceAndCount() {
    let records = sampleRecords(10)
    var changed = records
    changed[4].gradNorms[2] = 9.5
    changed[7].losses[0] = 0.125
    let comparison = compareRecordStreams(stored: Self.log(records), recomputed: Self.log(changed))
    #expect(!comparison.identical)
    #expect(comparison.differingRecords == 2)
    let first = comparison.first
    #expect(first?.step == 4 && first?.field == "grad_dice_square")
    #expect(first?.recomputed == "9.5")
    #expect(comparison.description.contains("first difference at step 4, field grad_dice_square"))
  }

  @Test func recordsInOneLogOnlyCountAsDiffering() {
    let records = sampleRecords(10)
    let comparison = compareRecordStreams(
      stored: Self.log(records), recomputed: Self.log(Array(records.prefix(7))))
    #expect(comparison.differingRecords == 3)
    #expect(comparison.first?.step == 7 && comparison.first?.recomputed == "(absent)")
    #expect(comparison.storedRecords == 10 && comparison.recomputedRecords == 7)
  }
}

@Suite struct RecordComparisonEdgeTests {
  @Test func unparsableLinesAndByteDifferencesAreNotIdentical() {
    let good = RecordComparisonTests.log(sampleRecords(3))
    let broken = compareRecordStreams(stored: good, recomputed: good + Array("garbage\n".utf8))
    #expect(!broken.identical)
    #expect(broken.differingRecords == 1 && broken.first?.field == "(record)")
    let noNewline = compareRecordStreams(stored: good, recomputed: Array(good.dropLast()))
    #expect(!noNewline.identical)
  }
}
