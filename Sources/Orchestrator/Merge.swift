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
  /// Missing cells whose artifacts exist but are damaged, with what is wrong.
  public var damaged: [(cell: Cell, damage: String)] = []
}

/// The sweep that `sweep merge DIR [SWEEP]` assembles. With no sweep file, the one recorded in
/// `resolved-sweep.json` (or, in a directory from an older tool, the spec path of manifest.json
/// without overrides). With one, it must be the recorded sweep (the same cells); without a
/// record, it must keep every cell the existing manifest.json lists as done. Either way a merge
/// never replaces a manifest with one of another sweep.
public func sweepForMerge(
  sweepDirectory: String, sweepFile: String?, overrides: [String], maxCells: Int
) throws -> Sweep {
  let recorded = try ResolvedSweep.load(sweepDirectory: sweepDirectory)
  guard let sweepFile else {
    if let recorded { return try recorded.expand() }
    let manifest = try SweepManifest.load(path: sweepDirectory)
    let sweep = try Sweep.load(path: manifest.specPath, maxCells: maxCells)
    try checkKeepsListedCells(sweep, sweepDirectory: sweepDirectory, given: manifest.specPath)
    return sweep
  }
  let sweep = try Sweep.load(path: sweepFile, overrides: overrides, maxCells: maxCells)
  let given =
    "`" + ([sweepFile] + overrides.flatMap { ["--set", $0] }).map(shellWord).joined(separator: " ")
    + "`"
  if let recorded {
    let expected = try recorded.expand()
    let want = Set(expected.cells.map(\.id))
    let have = Set(sweep.cells.map(\.id))
    if want != have {
      throw OrchestratorError.otherSweep(
        directory: sweepDirectory,
        recorded: recorded.runCommand(resultsRoot: directoryOf(sweepDirectory)), given: given,
        reason:
          "\(have.intersection(want).count) of its \(have.count) cells are cells of the "
          + "\(want.count) recorded")
    }
    return sweep
  }
  try checkKeepsListedCells(sweep, sweepDirectory: sweepDirectory, given: given)
  return sweep
}

/// Refuses `sweep` when the existing manifest.json lists done cells that are not in it.
private func checkKeepsListedCells(_ sweep: Sweep, sweepDirectory: String, given: String) throws {
  guard let existing = try? SweepManifest.load(path: sweepDirectory) else { return }
  let ids = Set(sweep.cells.map(\.id.hex))
  let dropped = existing.cells.filter { !ids.contains($0.id) }
  if !dropped.isEmpty {
    throw OrchestratorError.otherSweep(
      directory: sweepDirectory, recorded: existing.specPath, given: given,
      reason:
        "it would drop \(dropped.count) of the \(existing.cells.count) done cells "
        + "manifest.json lists")
  }
}

/// Builds the sweep manifest from the cell manifests under `sweepDirectory` and writes
/// manifest.json, summary.md and summary.csv atomically. The manifest's run section is derived
/// from the cells' run sections (hosts, earliest start, summed wall time) plus the project's git
/// commit, so merging the same files twice gives the same bytes. With `deep`, each cell's step
/// log is decompressed and checked against its manifest (`checkCell`); damaged cells count as
/// missing and are listed in `damaged`.
public func mergeSweep(_ sweep: Sweep, sweepDirectory: String, deep: Bool = false) throws
  -> MergeResult
{
  var manifests: [CellManifest] = []
  var missing: [Cell] = []
  var failed: [(cell: Cell, message: String)] = []
  var damaged: [(cell: Cell, damage: String)] = []
  let directory = SweepDirectory(sweepDirectory)
  for cell in sweep.cells {
    let condition = checkCell(cell.id, in: directory, deep: deep)
    if case .done(let manifest) = condition {
      manifests.append(manifest)
    } else {
      if case .damaged(let why) = condition { damaged.append((cell, why)) }
      missing.append(cell)
      if let why = FailureMarker.message(cell.id, in: directory) {
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
  try writeAtomically(Array(summary.markdown.utf8), to: directory.summaryMarkdown)
  try writeAtomically(Array(summary.csv.utf8), to: directory.summaryCSV)
  return MergeResult(
    manifest: manifest, summary: summary, missing: missing, failed: failed, damaged: damaged)
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

/// The project's git commit when the tool runs inside a git checkout (or a worktree of one),
/// else nil. Read from the git files directly (HEAD, then the loose ref or packed-refs) rather
/// than by starting git. `directory` is where the search for `.git` starts.
func gitCommit(from directory: String = FileManager.default.currentDirectoryPath) -> String? {
  let fm = FileManager.default
  var top = URL(fileURLWithPath: directory)
  while !fm.fileExists(atPath: top.appendingPathComponent(".git").path) {
    let parent = top.deletingLastPathComponent()
    if parent.path == top.path { return nil }
    top = parent
  }
  func text(_ url: URL) -> String? {
    (try? String(contentsOf: url, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }
  func resolve(_ path: String, against base: URL) -> URL {
    path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
  }
  // A worktree's `.git` is a file `gitdir: <its git directory>`; that directory holds HEAD and
  // names the shared one (`commondir`), which holds the refs.
  var git = top.appendingPathComponent(".git")
  var isDirectory: ObjCBool = false
  if fm.fileExists(atPath: git.path, isDirectory: &isDirectory), !isDirectory.boolValue {
    guard let line = text(git), line.hasPrefix("gitdir: ") else { return nil }
    git = resolve(String(line.dropFirst(8)), against: top)
  }
  let common =
    text(git.appendingPathComponent("commondir")).map { resolve($0, against: git) } ?? git
  func isHash(_ text: String) -> Bool {
    text.count == 40 && text.allSatisfy { $0.isHexDigit }
  }
  guard let head = text(git.appendingPathComponent("HEAD")) else { return nil }
  if isHash(head) { return head }
  guard head.hasPrefix("ref: ") else { return nil }
  let ref = String(head.dropFirst(5))
  for base in [git, common] {
    if let loose = text(base.appendingPathComponent(ref)), isHash(loose) { return loose }
  }
  for line in (text(common.appendingPathComponent("packed-refs")) ?? "").split(separator: "\n") {
    let parts = line.split(separator: " ")
    if parts.count == 2, parts[1] == ref, isHash(String(parts[0])) { return String(parts[0]) }
  }
  return nil
}
