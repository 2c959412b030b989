// Tests for StepLog.swift: NDJSON step records to columns.

import Testing
import TrainingCore

@testable import Report

@Test func stepLogColumnsFollowTheSteps() throws {
  let text = """
    {"step":0,"loss_cce":0.69,"loss_dice":0.5,"grad_cce":0.01,"grad_dice":null,"accuracy":0.5}
    {"step":1,"loss_cce":null,"loss_dice":0.4,"grad_cce":0.02,"grad_dice":0.03}
    {"step":2,"loss_cce":0.6,"loss_dice":0.3,"grad_cce":0.01,"grad_dice":0.02,"accuracy":0.75}

    """
  let series = try parseStepLog(Array(text.utf8), path: "x.ndjson")
  #expect(series.steps == [0, 1, 2])
  #expect(series.losses[.cce] == [0.69, nil, 0.6])
  #expect(series.losses[.dice] == [0.5, 0.4, 0.3])
  #expect(series.gradNorms[.dice] == [nil, 0.03, 0.02])
  #expect(series.losses[.dicefg] == nil)
  #expect(
    series.accuracy == [AccuracyPoint(step: 0, value: 0.5), AccuracyPoint(step: 2, value: 0.75)])
  #expect(series.finalAccuracy == 0.75)
}

@Test func columnsMissingFromSomeLinesArePadded() throws {
  let text =
    "{\"step\":0,\"loss_cce\":1}\n{\"step\":1}\n{\"step\":2,\"loss_cce\":2}\n{\"step\":3}\n"
  let series = try parseStepLog(Array(text.utf8), path: "x")
  #expect(series.losses[.cce] == [1, nil, 2, nil])
}

@Test(arguments: [
  ("{\"step\":0}\n{\"step\":1,", 2), ("[1]\n", 1), ("{\"loss_cce\":1}\n", 1),
  ("{\"step\":0,\"loss_cce\":\"x\"}\n", 1),
])
func badLinesNameTheirLine(text: String, line: Int) {
  #expect {
    _ = try parseStepLog(Array(text.utf8), path: "cells/a.ndjson.gz")
  } throws: { error in
    guard case .badStepLog(let path, let l, _) = error as? ReportError else { return false }
    return path == "cells/a.ndjson.gz" && l == line
  }
}

@Test(arguments: [
  #"{"step":3,"loss_cce":0.69,"grad_cce":1e-05,"accuracy":0.953125}"#,
  #"{"step":0,"loss_cce":null,"grad_dice":-0,"accuracy":null}"#,
  #"{"step":12,"loss_dicefg_square":2.5e-07,"grad_dicefg_square":12}"#,
])
func theLineScannerReadsWhatTheJSONParserReads(line: String) throws {
  let fast = try #require(scanFlatRecord(ArraySlice(Array(line.utf8))))
  // A leading space sends the same line through the general parser.
  let general = try parseStepLog(Array((" " + line + "\n").utf8), path: "x")
  let scanned = try parseStepLog(Array((line + "\n").utf8), path: "x")
  #expect(scanned == general)
  #expect(scanned.steps == [fast.step])
}

@Test(arguments: [
  #"{"step":1,"loss_cce":1,"loss_cce":2}"#, #"{"step":1.5}"#, #"{"step":1,"x":1}"#,
  #"{"step":1,"loss_cce":"1"}"#, #"{"step":1} "#, #"{"step":1,"loss_\u0063ce":1}"#,
  #"{"loss_cce":1}"#, #"{"step":1,"loss_cce":1e999}"#,
])
func theLineScannerLeavesOtherLinesToTheJSONParser(line: String) {
  #expect(scanFlatRecord(ArraySlice(Array(line.utf8))) == nil)
}

@Test func aLongLogKeepsEveryColumnAlignedWithTheSteps() throws {
  var text = ""
  for step in 0..<3000 {
    text += step % 2 == 0 ? "{\"step\":\(step),\"loss_cce\":\(step)}\n" : "{\"step\":\(step)}\n"
  }
  let series = try parseStepLog(Array(text.utf8), path: "x")
  #expect(series.steps.count == 3000)
  #expect(series.losses[.cce]?.count == 3000)
  #expect(series.losses[.cce]?[2998] == 2998 && series.losses[.cce]?[2999] == nil)
}
