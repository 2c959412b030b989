// Tests for Figures.swift: grouping, well-formed SVG, rendering with a real renderer, file size.

import Artifacts
import Foundation
import Testing
import TrainingCore

@testable import Report

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// A sweep of one (θ, optimizer, batch norm, seed) combination, one cell per loss.
func oneFigureInput(iterations: Int = 101) -> ReportInput {
  ReportInput(
    sweepName: "fig",
    cells: Loss.allCases.map { cell(config(loss: $0, theta: 0.95, iterations: iterations)) })
}

/// Whether `text` parses as XML; the parser's error otherwise.
func xmlError(_ text: String) -> String? {
  let parser = XMLParser(data: Data(text.utf8))
  return parser.parse() ? nil : "\(parser.parserError.map { "\($0)" } ?? "unknown error")"
}

@Test func figuresGroupEveryParameterButTheLoss() {
  let cells = [
    cell(config(loss: .dice, theta: 0.05, seed: 1)),
    cell(config(loss: .cce, theta: 0.05, seed: 1)),
    cell(config(loss: .cce, theta: 0.95, seed: 1)),
    cell(config(loss: .cce, theta: 0.05, seed: 2)),
    cell(config(loss: .cce, theta: 0.05, seed: 2), status: .missing),
  ]
  let specs = figureSpecs(ReportInput(sweepName: "g", cells: cells))
  #expect(
    specs.map(\.fileName) == [
      "fig-fg05-adam-bn0-seed1.svg", "fig-fg95-adam-bn0-seed1.svg", "fig-fg95-adam-bn0-seed2.svg",
    ])
  #expect(specs[1].cells.map(\.config.loss) == [.cce, .dice])
  #expect(specs[0].title == "5% foreground, Adam, batch norm off, seed 1")
}

@Test func extraVaryingParametersSplitFiguresAndNameThem() {
  var a = config(theta: 0.5)
  var b = config(theta: 0.5)
  a.learningRate = 0.01
  b.learningRate = 0.001
  let specs = figureSpecs(ReportInput(sweepName: "g", cells: [cell(a), cell(b)]))
  #expect(specs.count == 2)
  #expect(Set(specs.map(\.fileName)).count == 2)
  #expect(specs.allSatisfy { $0.title.contains("learning_rate=") })
}

@Test func figureIsWellFormedXMLWithTitleLegendAndAxes() {
  var input = oneFigureInput()
  input.cells[3].status = .diverged
  let spec = figureSpecs(input)[0]
  let svg = renderFigure(spec, options: ReportOptions(smooth: 5))
  #expect(xmlError(svg) == nil)
  #expect(svg.contains("5% foreground, Adam, batch norm off, seed 1"))
  #expect(svg.contains("gradient norm (log scale)"))
  #expect(svg.contains("validation accuracy"))
  #expect(svg.contains("Smoothed, window 5."))
  #expect(svg.contains("DIVERGED"))
  for loss in Loss.allCases { #expect(svg.contains(">\(displayName(loss))</text>")) }
  #expect(!svg.contains("NaN") && !svg.contains("nan") && !svg.contains("inf"))
}

@Test func nullValuesBreakTheLineIntoSegments() {
  var c = cell(config(loss: .cce), tracked: [.cce])
  c.series.losses[.cce]?[50] = nil
  c.series.gradNorms[.cce]?[50] = nil
  let spec = figureSpecs(ReportInput(sweepName: "n", cells: [c]))[0]
  let svg = renderFigure(spec, options: ReportOptions())
  // Two segments each for the loss and the grad-norm line, and one accuracy line.
  let strokes = svg.components(separatedBy: "stroke=\"#1f77b4\"/>").count - 1
  #expect(strokes == 4)
}

@Test func longFiveLossRunStaysSmall() {
  let spec = figureSpecs(oneFigureInput(iterations: 10_001))[0]
  let svg = renderFigure(spec, options: ReportOptions())
  #expect(svg.utf8.count < 600_000, "\(svg.utf8.count) bytes")
  #expect(svg.contains("band from bucket min to max"))
  #expect(xmlError(svg) == nil)
}

/// Locates an executable on PATH.
func executable(named name: String) -> String? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
  for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
    let candidate = "\(dir)/\(name)"
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
  }
  return nil
}

/// Renders SVG text to PNG bytes with rsvg-convert.
func renderPNG(_ svg: String, tool: String) throws -> [UInt8] {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "report-png-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let input = dir.appendingPathComponent("in.svg")
  let output = dir.appendingPathComponent("out.png")
  try Data(svg.utf8).write(to: input)
  let process = Process()
  process.executableURL = URL(fileURLWithPath: tool)
  process.arguments = ["-f", "png", "-o", output.path, input.path]
  try process.run()
  process.waitUntilExit()
  #expect(process.terminationStatus == 0)
  return [UInt8](try Data(contentsOf: output))
}

/// Width and height from a PNG's IHDR chunk.
func pngSize(_ png: [UInt8]) -> (width: Int, height: Int)? {
  let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  guard png.count > 24, Array(png[0..<8]) == signature else { return nil }
  let be = { (i: Int) in png[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
  return (be(16), be(20))
}

@Test func figureRendersToANonBlankPNG() throws {
  guard let tool = executable(named: "rsvg-convert") else {
    Issue.record(
      "rsvg-convert not found: install it with `apt-get install -y librsvg2-bin` to check figures")
    return
  }
  let spec = figureSpecs(oneFigureInput(iterations: 3001))[0]
  let svg = renderFigure(spec, options: ReportOptions())
  let size = svg.firstMatch(of: /width="(\d+)" height="(\d+)"/)
  let width = size.map { String($0.1) } ?? "0"
  let height = size.map { String($0.2) } ?? "0"
  let blank =
    "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" "
    + "height=\"\(height)\"><rect width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/></svg>"
  let figurePNG = try renderPNG(svg, tool: tool)
  let blankPNG = try renderPNG(blank, tool: tool)
  let figureSize = try #require(pngSize(figurePNG))
  #expect(figureSize.width == Int(width) && figureSize.height == Int(height))
  #expect(pngSize(blankPNG)?.width == Int(width))
  // A blank canvas compresses to almost nothing; lines, bands and text do not.
  #expect(
    figurePNG.count > 10 * blankPNG.count && figurePNG.count > 20_000,
    "figure PNG \(figurePNG.count) bytes, blank PNG \(blankPNG.count) bytes")
}
