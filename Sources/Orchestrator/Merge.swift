// Assembles a sweep's manifest and summary from its per-cell artifacts. `sweep run` does this at
// the end of an unsharded run and `sweep merge` after a cluster array; both give the same bytes
// for the same cell files.
import Artifacts
import CanonicalJSON
import Foundation
import SweepSpec

/// The outcome of assembling a sweep directory.
public struct MergeResult: Sendable {
  public var manifest: SweepManifest
  public var summary: Summary
  /// Cells of the sweep with no valid artifacts, in expansion order.
  public var missing: [Cell]
  /// Missing cells whose last attempt failed, with the recorded reason.
  public var failed: [(cell: Cell, message: String)]
}

/// Builds the sweep manifest from the cell manifests under `sweepDirectory` and writes
/// manifest.json, summary.md and summary.csv atomically. The manifest's run section is derived
/// from the cells' run sections (hosts, earliest start, summed wall time) plus the project's git
/// commit, so merging the same files twice gives the same bytes.
public func mergeSweep(_ sweep: Sweep, sweepDirectory: String) throws -> MergeResult {
  var manifests: [CellManifest] = []
  var missing: [Cell] = []
  var failed: [(cell: Cell, message: String)] = []
  for cell in sweep.cells {
    if cellIsDone(sweepDirectory: sweepDirectory, hex: cell.id.hex),
      let manifest = try? CellManifest.load(path: "\(sweepDirectory)/cells/\(cell.id.hex).json")
    {
      manifests.append(manifest)
    } else {
      missing.append(cell)
      if let why = FailureMarker.message(sweepDirectory: sweepDirectory, hex: cell.id.hex) {
        failed.append((cell, why))
      }
    }
  }
  let manifest = SweepManifest(
    name: sweep.name, specPath: sweep.specPath, specSHA256: sweep.specSHA256,
    toolVersion: toolVersion, cells: manifests, missing: missing.map(\.id.hex),
    run: sweepRunSection(manifests))
  try SpecManifests.record(manifest, in: sweepDirectory)
  try manifest.write(to: sweepDirectory)
  let summary = Summary(manifest: manifest)
  try writeAtomically(Array(summary.markdown.utf8), to: "\(sweepDirectory)/summary.md")
  try writeAtomically(Array(summary.csv.utf8), to: "\(sweepDirectory)/summary.csv")
  return MergeResult(manifest: manifest, summary: summary, missing: missing, failed: failed)
}

/// The sweep manifest's run section: facts about how the cells were run, ignored by diffs.
func sweepRunSection(_ cells: [CellManifest]) -> JSONValue {
  var hosts = Set<String>()
  var starts: [String] = []
  var wall = 0.0
  for cell in cells {
    if let host = cell.run["host"]?.stringValue { hosts.insert(host) }
    if let started = cell.run["started"]?.stringValue { starts.append(started) }
    wall += cell.run["wall_seconds"]?.doubleValue ?? 0
  }
  var run: [String: JSONValue] = [
    "hosts": .array(hosts.sorted().map { .string($0) }),
    "cell_wall_seconds": JSONValue(double: (wall * 1000).rounded() / 1000),
    "tool_version": .string(toolVersion),
  ]
  if let first = starts.min() { run["first_started"] = .string(first) }
  if let last = starts.max() { run["last_started"] = .string(last) }
  if let commit = gitCommit() { run["git_commit"] = .string(commit) }
  return .object(run)
}

/// The project's git commit when the tool runs inside a git checkout, else nil. Read from the
/// .git files directly (HEAD, then the loose ref or packed-refs) rather than by starting git.
func gitCommit() -> String? {
  let fm = FileManager.default
  var directory = URL(fileURLWithPath: fm.currentDirectoryPath)
  while !fm.fileExists(atPath: directory.appendingPathComponent(".git/HEAD").path) {
    let parent = directory.deletingLastPathComponent()
    if parent.path == directory.path { return nil }
    directory = parent
  }
  let git = directory.appendingPathComponent(".git")
  func read(_ path: String) -> String? {
    (try? String(contentsOf: git.appendingPathComponent(path), encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }
  func isHash(_ text: String) -> Bool {
    text.count == 40 && text.allSatisfy { $0.isHexDigit }
  }
  guard let head = read("HEAD") else { return nil }
  if isHash(head) { return head }
  guard head.hasPrefix("ref: ") else { return nil }
  let ref = String(head.dropFirst(5))
  if let loose = read(ref), isHash(loose) { return loose }
  for line in (read("packed-refs") ?? "").split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 2, parts[1] == ref, isHash(String(parts[0])) { return String(parts[0]) }
  }
  return nil
}
