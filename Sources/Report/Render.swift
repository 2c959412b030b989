// Entry points: render the whole report to (relative path, bytes) pairs and write it atomically.

import Artifacts
import Foundation

/// Renders the report: `index.html` first, then one `claim-N.svg` evidence figure per claim, then
/// one `fig-….svg` per figure. The same input and options always give the same bytes.
public func renderReport(_ input: ReportInput, options: ReportOptions) -> [(
  path: String, bytes: [UInt8]
)] {
  let figures = figureSpecs(input)
  let claims = evaluateClaims(input, options: options.claims)
  var files: [(path: String, bytes: [UInt8])] = [
    (
      "index.html",
      Array(renderIndex(input, figures: figures, claims: claims, options: options).utf8)
    )
  ]
  for figure in claimFigures(input, options: options.claims) {
    files.append((figure.fileName, Array(figure.svg.utf8)))
  }
  for figure in figures {
    files.append((figure.fileName, Array(renderFigure(figure, options: options).utf8)))
  }
  return files
}

/// Writes the report into `directory` (created if needed), each file to a temporary name and
/// renamed into place. Figures left over from an earlier report (`fig-*.svg` no longer drawn)
/// are removed.
public func writeReport(_ input: ReportInput, options: ReportOptions, to directory: String) throws {
  let files = renderReport(input, options: options)
  let manager = FileManager.default
  do {
    try createDirectories(directory)
  } catch {
    throw ReportError.writeFailed(path: error.file, reason: error.reason)
  }
  for file in files {
    try writeFileAtomically(bytes: file.bytes, to: directory + "/" + file.path)
  }
  let current = Set(files.map(\.path))
  let existing = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
  for name in existing.sorted()
  where name.hasPrefix("fig-") && name.hasSuffix(".svg") && !current.contains(name) {
    try? manager.removeItem(atPath: directory + "/" + name)
  }
}

/// Writes `bytes` to `path` through Artifacts' atomic writer (temporary name, fsync, rename).
func writeFileAtomically(bytes: [UInt8], to path: String) throws(ReportError) {
  do {
    try writeAtomically(bytes, to: path)
  } catch {
    throw .writeFailed(path: path, reason: error.description)
  }
}
