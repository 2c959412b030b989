// Variants of a sweep in one folder: the cells are one content-addressed store shared by every
// spec that writes there, and each resolved spec keeps its own manifest and summary under
// manifests/, keyed by the hash of the cell ids it plans; manifest.json is the latest.

import CanonicalJSON
import Foundation

/// The per-spec manifests of a sweep directory (see docs/FORMATS.md, "Variants").
public enum SpecManifests {
  /// The subdirectory holding one manifest and summary per resolved spec.
  public static let directoryName = "manifests"

  /// The key of a resolved spec: the first 16 hex digits of the SHA-256 of its planned cell ids,
  /// sorted, one per line. Comments, axis order or the file name do not change it; a changed
  /// value, an added θ or a different `--set` does.
  public static func key(ofCellIDs ids: some Sequence<String>) -> String {
    let text = ids.sorted().map { $0 + "\n" }.joined()
    return String(sha256Hex(Array(text.utf8)).prefix(16))
  }

  /// The key of the spec a sweep manifest was assembled for (its cells and missing ids).
  public static func key(of manifest: SweepManifest) -> String {
    key(ofCellIDs: manifest.cells.map(\.id) + manifest.missing)
  }

  /// `<directory>/manifests/<key>.json`.
  public static func manifestPath(in directory: String, key: String) -> String {
    SweepDirectory(directory).specManifest(key: key)
  }

  /// Writes `manifests/<key>.json` and its `.summary.md` and `.summary.csv` for `manifest`,
  /// before `manifest.json` is replaced by it. If the current `manifest.json` belongs to another
  /// spec that has no file under manifests/ yet (a folder from before this layout), it is kept
  /// there first, so no spec's manifest is lost.
  public static func record(_ manifest: SweepManifest, in directory: String) throws(ArtifactsError)
  {
    try createDirectories(SweepDirectory(directory).specManifests)
    let current = SweepDirectory(directory).sweepManifest
    if FileManager.default.fileExists(atPath: current),
      let previous = try? SweepManifest.load(path: current)
    {
      let previousKey = key(of: previous)
      if previousKey != key(of: manifest)
        && !FileManager.default.fileExists(atPath: manifestPath(in: directory, key: previousKey))
      {
        try write(previous, in: directory)
      }
    }
    try write(manifest, in: directory)
  }

  private static func write(_ manifest: SweepManifest, in directory: String) throws(ArtifactsError)
  {
    let layout = SweepDirectory(directory)
    let key = key(of: manifest)
    let summary = Summary(manifest: manifest)
    try writeAtomically(Array(summary.markdown.utf8), to: layout.specSummaryMarkdown(key: key))
    try writeAtomically(Array(summary.csv.utf8), to: layout.specSummaryCSV(key: key))
    try writeAtomically(Array(manifest.json.prettyText.utf8), to: layout.specManifest(key: key))
  }

  /// One spec recorded in a sweep directory.
  public struct Recorded: Sendable {
    public var key: String
    public var path: String
    public var manifest: SweepManifest
    /// Whether `manifest.json` is this spec's.
    public var isLatest: Bool
    /// Planned cells (done and missing).
    public var plannedCount: Int { manifest.cells.count + manifest.missing.count }
  }

  /// Every spec manifest under `directory/manifests/` that parses, sorted by key, plus the
  /// spec of `manifest.json` when it has no file there (a folder from before this layout).
  public static func recorded(in directory: String) -> [Recorded] {
    let folder = SweepDirectory(directory).specManifests
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".tmp") }.sorted()
    let latest = try? SweepManifest.load(path: SweepDirectory(directory).sweepManifest)
    let latestKey = latest.map(key(of:))
    var out: [Recorded] = []
    for name in names {
      let path = "\(folder)/\(name)"
      guard let manifest = try? SweepManifest.load(path: path) else { continue }
      let key = String(name.dropLast(5))
      out.append(Recorded(key: key, path: path, manifest: manifest, isLatest: key == latestKey))
    }
    if let latest, let latestKey, !out.contains(where: { $0.key == latestKey }) {
      out.append(
        Recorded(
          key: latestKey, path: SweepDirectory(directory).sweepManifest, manifest: latest,
          isLatest: true))
    }
    return out
  }

  /// The note `sweep run` prints when `manifest.json` in `directory` belongs to a spec other
  /// than the one about to run (whose planned ids are `ids`); nil when it is the same spec or
  /// there is none.
  public static func otherSpecNote(directory: String, plannedIDs ids: [String]) -> String? {
    let ownKey = key(ofCellIDs: ids)
    let specs = recorded(in: directory)
    guard let latest = specs.first(where: \.isLatest), latest.key != ownKey else { return nil }
    let ownIDs = Set(ids)
    let shared = latest.manifest.cells.filter { ownIDs.contains($0.id) }.count
    let others = specs.filter { $0.key != ownKey }.count
    return "note: \(directory) holds another spec's manifest: \(latest.key) "
      + "(\(latest.manifest.specPath), \(latest.plannedCount) cells, \(shared) of them in this one)"
      + (others > 1 ? " and \(others - 1) more under \(directoryName)/" : "")
      + ". Cells are shared by id; each spec keeps its manifest and summary under "
      + "\(directoryName)/, and manifest.json becomes this spec's (\(ownKey)). "
      + "Pick one with `sweep summary|report|claims DIR --spec KEY`."
  }

  /// The path of the spec manifest whose key starts with `prefix`: `manifest.json` itself
  /// when that is the spec's only copy. Throws when no spec or several match.
  public static func path(in directory: String, spec prefix: String) throws(ArtifactsError)
    -> String
  {
    try spec(in: directory, prefix: prefix).path
  }

  /// The recorded spec whose key starts with `prefix`; throws when no spec or several match.
  public static func spec(in directory: String, prefix: String) throws(ArtifactsError) -> Recorded {
    let specs = recorded(in: directory)
    let matches = specs.filter { $0.key.hasPrefix(prefix.lowercased()) }
    guard !prefix.isEmpty, matches.count == 1, let match = matches.first else {
      let known = specs.map(\.key).joined(separator: ", ")
      throw .badOption(
        flag: "--spec", value: prefix,
        reason: (matches.count > 1 ? "ambiguous" : "no spec of \(directory) starts with it")
          + "; specs here: " + (known.isEmpty ? "none" : known))
    }
    return match
  }

  /// One line per recorded spec, for `sweep verify`: key, spec file, planned and done cells,
  /// which one is latest. Nil when the directory holds one spec only.
  public static func listing(in directory: String) -> String? {
    let specs = recorded(in: directory)
    guard specs.count > 1 else { return nil }
    var out = "\(specs.count) specs share the cells of \(directory):\n"
    for spec in specs {
      out += "  \(spec.key)  \(spec.manifest.specPath)  \(spec.manifest.cells.count) of "
      out += "\(spec.plannedCount) cells done\(spec.isLatest ? "  (manifest.json)" : "")\n"
    }
    return out
  }
}

/// Checks the spec manifests under `manifests/` against the cell manifests, as `manifest.json`
/// is checked, and returns the ids they list so that `verify` counts those cells as another
/// spec's rather than as cells without an entry. `latest` is `manifest.json`, whose own copy
/// under manifests/ must be identical to it.
func verifySpecManifests(
  directory: String, latest: SweepManifest, cells: [String: CellManifest],
  cellFiles: Set<String>
) -> (problems: [VerifyProblem], listed: Set<String>) {
  var problems: [VerifyProblem] = []
  var listed = Set<String>()
  let latestKey = SpecManifests.key(of: latest)
  for spec in SpecManifests.recorded(in: directory)
  where spec.path != SweepDirectory(directory).sweepManifest {
    if spec.key != SpecManifests.key(of: spec.manifest) {
      problems.append(
        VerifyProblem(
          kind: .entryMismatch, file: spec.path,
          message: "its cells hash to spec \(SpecManifests.key(of: spec.manifest)), not \(spec.key)"
        ))
    }
    if spec.key == latestKey && spec.manifest != latest {
      problems.append(
        VerifyProblem(
          kind: .entryMismatch, file: spec.path,
          message: "differs from manifest.json, which is the same spec; run `sweep merge`"))
    }
    for entry in spec.manifest.cells {
      listed.insert(entry.id)
      guard cellFiles.contains(entry.id) else {
        problems.append(
          VerifyProblem(
            kind: .entryWithoutFiles, file: spec.path,
            message: "cell \(entry.shortID) has no cells/\(entry.id).json"))
        continue
      }
      guard let cell = cells[entry.id] else { continue }
      let differences = entryDifferences(entry, SweepManifest.Entry(cell))
      if !differences.isEmpty {
        problems.append(
          VerifyProblem(
            kind: .entryMismatch, file: spec.path,
            message: "cell \(entry.shortID): " + differences.joined(separator: "; ")))
      }
    }
  }
  return (problems, listed)
}

/// The sweep directory a manifest path belongs to: the path itself when it is a directory,
/// `X` for `X/manifest.json` and for `X/manifests/<key>.json`.
public func sweepDirectory(ofManifestPath path: String) -> String {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
    isDirectory.boolValue
  {
    return path
  }
  let parent = parentPath(path)
  let name = parent.split(separator: "/").last.map(String.init) ?? parent
  return name == SpecManifests.directoryName ? parentPath(parent) : parent
}

/// The directory part of `path` ("." when there is none).
private func parentPath(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}
