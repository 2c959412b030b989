// Streams one cell's step records into `cells/<id>.ndjson.gz` and commits the cell by writing
// `cells/<id>.json` last; plus the done check.

import CanonicalJSON
import Crypto
import Foundation
import SweepSpec
import TrainingCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes one cell's artifacts while it trains.
///
/// Records are encoded, hashed (SHA-256 of the NDJSON bytes), gzipped and streamed into
/// `cells/<id>.ndjson.gz.<pid>@<host>.tmp`. `finish` fsyncs the step log and writes the manifest
/// under a temporary name, then renames the step log and the manifest into place, in that order:
/// the manifest is the commit point, so a cell whose manifest is missing is simply not done. `abandon` (or dropping an unfinished writer) removes the
/// temporary file.
public final class CellWriter {
  private let directory: SweepDirectory
  private let id: CellID
  private let canonicalConfig: JSONValue
  private let config: TrainingConfig
  private let temporaryPath: String
  private var fd: Int32
  private let gzip: GzipWriter
  private var ndjsonHasher = SHA256()
  private var gzipHasher = SHA256()
  private var gzipBytes = 0
  private var metrics: MetricsAccumulator
  private var done = false

  /// Opens the temporary step log of cell `id` in `directory`, creating directories.
  public init(
    directory: SweepDirectory, id: CellID, canonicalConfig: JSONValue, config: TrainingConfig
  ) throws(ArtifactsError) {
    self.directory = directory
    self.id = id
    self.canonicalConfig = canonicalConfig
    self.config = config
    self.metrics = MetricsAccumulator(track: config.track)
    try createDirectories(directory.cells)
    let temporary = directory.temporaryCellLog(id, owner: "\(getpid())@\(temporaryHostName())")
    self.temporaryPath = temporary
    self.gzip = try GzipWriter(file: temporary)
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .io(file: temporary, operation: "create", reason: errnoText()) }
    self.fd = fd
  }

  deinit {
    if !done { abandon() }
  }

  /// Adds one step record to the log.
  public func append(_ record: StepRecord) throws(ArtifactsError) {
    guard !done else {
      throw .io(file: temporaryPath, operation: "append to a finished step log", reason: "closed")
    }
    let line = Array(ndjsonLine(record, track: config.track).utf8)
    ndjsonHasher.update(data: line)
    metrics.add(record)
    try emit(try gzip.write(line))
  }

  private func emit(_ bytes: [UInt8]) throws(ArtifactsError) {
    guard !bytes.isEmpty else { return }
    gzipHasher.update(data: bytes)
    gzipBytes += bytes.count
    try bytes.withUnsafeBufferPointer { (buffer) throws(ArtifactsError) in
      try writeAll(fd, UnsafeRawBufferPointer(buffer), file: temporaryPath)
    }
  }

  /// Closes the step log, renames it into place and writes the cell manifest (the commit point).
  /// `run` is the manifest's run section.
  public func finish(status: RunStatus, stepsRun: Int, run: JSONValue) throws(ArtifactsError)
    -> CellManifest
  {
    guard !done else {
      throw .io(file: temporaryPath, operation: "finish a closed step log", reason: "closed")
    }
    let manifest: CellManifest
    do throws(ArtifactsError) {
      try emit(try gzip.finish())
      guard fsync(fd) == 0 else {
        throw ArtifactsError.io(file: temporaryPath, operation: "fsync", reason: errnoText())
      }
      let closing = fd
      fd = -1
      guard close(closing) == 0 else {
        throw ArtifactsError.io(file: temporaryPath, operation: "close", reason: errnoText())
      }
      // Everything slow (the manifest's bytes and both fsyncs) happens before the first rename,
      // so a kill between the two renames is as unlikely as it can be made. One that lands there
      // leaves a step log without a manifest: the cell is not done, and `sweep run` redoes it.
      manifest = makeManifest(status: status, stepsRun: stepsRun, run: run)
      let staged = try StagedFile(
        Array(manifest.json.prettyText.utf8), for: directory.cellManifest(id))
      let logPath = directory.cellLog(id)
      guard rename(temporaryPath, logPath) == 0 else {
        throw ArtifactsError.io(
          file: logPath, operation: "rename \(temporaryPath) to", reason: errnoText())
      }
      done = true
      try staged.commit()
    } catch {
      abandon()
      throw error
    }
    syncDirectory(directory.cells)
    return manifest
  }

  private func makeManifest(status: RunStatus, stepsRun: Int, run: JSONValue) -> CellManifest {
    let divergedStep: Int?
    switch status {
    case .ok: divergedStep = nil
    case .diverged(let step): divergedStep = step
    }
    return CellManifest(
      id: id, config: canonicalConfig, seed: Int(truncatingIfNeeded: config.seed),
      status: CellStatus(status), divergedStep: divergedStep,
      stepsRun: stepsRun, records: metrics.records,
      ndjsonSHA256: lowercaseHex(ndjsonHasher.finalize()),
      gzipSHA256: lowercaseHex(gzipHasher.finalize()), gzipBytes: gzipBytes,
      metrics: metrics.metrics, run: run)
  }

  /// Stops writing and deletes the temporary step log. Stored artifacts are never touched.
  public func abandon() {
    if fd >= 0 {
      close(fd)
      fd = -1
    }
    if !done {
      unlink(temporaryPath)
      done = true
    }
  }
}

/// What the done check found for one cell of a sweep directory.
public enum CellCondition: Sendable, Equatable {
  /// The manifest holds and the step log matches it.
  case done(CellManifest)
  /// No manifest: the cell never finished (an interrupted run leaves at most a step log).
  case absent
  /// A manifest exists but something about the cell is wrong; the text says what.
  case damaged(String)

  public var isDone: Bool {
    if case .done = self { return true }
    return false
  }
}

/// Checks cell `id`: its manifest parses, is named for its id, makes consistent claims
/// (`claimProblems`: id against the config's hash, status against steps, record count), and its
/// step log exists with the size and SHA-256 the manifest records. With `deep`, also decompresses
/// the log and re-derives its content hash, record count, status and metrics (`verifyCell`).
/// The cheap form is what `plan` and `status` use; `run` and `merge` check deeply.
public func checkCell(_ id: CellID, in directory: SweepDirectory, deep: Bool = false)
  -> CellCondition
{
  let manifestPath = directory.cellManifest(id)
  var info = stat()
  guard stat(manifestPath, &info) == 0 else {
    return errno == ENOENT ? .absent : .damaged("its manifest cannot be read: \(errnoText())")
  }
  let manifest: CellManifest
  do {
    manifest = try CellManifest.load(path: manifestPath)
  } catch {
    return .damaged("its manifest is unreadable: \(error.reason)")
  }
  guard manifest.id == id else {
    return .damaged("its manifest records the id \(manifest.id.short)")
  }
  if let problem = manifest.claimProblems.first {
    return .damaged("its manifest is wrong: \(problem)")
  }
  let logPath = directory.cellLog(id)
  guard stat(logPath, &info) == 0 else { return .damaged("its step log is missing") }
  guard Int(info.st_size) == manifest.gzipBytes else {
    return .damaged(
      "its step log is \(info.st_size) bytes, the manifest records \(manifest.gzipBytes)")
  }
  guard let digest = try? fileSHA256(logPath) else {
    return .damaged("its step log cannot be read")
  }
  guard digest.hex == manifest.gzipSHA256 && digest.bytes == manifest.gzipBytes else {
    return .damaged(
      "its step log has sha256 \(shortHex(digest.hex)), the manifest records "
        + "\(shortHex(manifest.gzipSHA256))")
  }
  if deep, let problem = verifyCell(manifest, logPath: logPath).first {
    return .damaged("\(problem.kind.rawValue): \(problem.message)")
  }
  return .done(manifest)
}

/// Whether cell `id` is done by the cheap form of `checkCell`.
public func cellIsDone(_ id: CellID, in directory: SweepDirectory) -> Bool {
  checkCell(id, in: directory).isDone
}
