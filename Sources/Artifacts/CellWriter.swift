// Streams one cell's step records into `cells/<id>.ndjson.gz` and commits the cell by writing
// `cells/<id>.json` last; plus the in-memory encoding used by reruns and the resume check.

import CanonicalJSON
import Crypto
import Foundation
import TrainingCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The path of a cell's step log.
public func cellLogPath(sweepDirectory: String, hex: String) -> String {
  "\(sweepDirectory)/cells/\(hex).ndjson.gz"
}

/// The path of a cell's manifest.
public func cellManifestPath(sweepDirectory: String, hex: String) -> String {
  "\(sweepDirectory)/cells/\(hex).json"
}

/// Writes one cell's artifacts while it trains.
///
/// Records are encoded, hashed (SHA-256 of the NDJSON bytes), gzipped and streamed into
/// `cells/<id>.ndjson.gz.<pid>.tmp`. `finish` fsyncs and renames the step log into place and then
/// writes the manifest atomically: the manifest is the commit point, so a cell whose manifest is
/// missing is simply not done. `abandon` (or dropping an unfinished writer) removes the
/// temporary file.
public final class CellWriter {
  private let sweepDirectory: String
  private let hex: String
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

  /// Opens the temporary step log of cell `hex` under `sweepDirectory`, creating directories.
  public init(
    sweepDirectory: String, hex: String, canonicalConfig: JSONValue, config: TrainingConfig
  ) throws(ArtifactsError) {
    self.sweepDirectory = sweepDirectory
    self.hex = hex
    self.canonicalConfig = canonicalConfig
    self.config = config
    self.metrics = MetricsAccumulator(track: config.track)
    try createDirectories("\(sweepDirectory)/cells")
    let temporary = "\(cellLogPath(sweepDirectory: sweepDirectory, hex: hex)).\(getpid()).tmp"
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
      let logPath = cellLogPath(sweepDirectory: sweepDirectory, hex: hex)
      guard rename(temporaryPath, logPath) == 0 else {
        throw ArtifactsError.io(
          file: logPath, operation: "rename \(temporaryPath) to", reason: errnoText())
      }
      done = true
      syncDirectory("\(sweepDirectory)/cells")
    } catch {
      abandon()
      throw error
    }
    let manifest = makeManifest(status: status, stepsRun: stepsRun, run: run)
    try writeAtomically(
      Array(manifest.json.prettyText.utf8),
      to: cellManifestPath(sweepDirectory: sweepDirectory, hex: hex))
    return manifest
  }

  private func makeManifest(status: RunStatus, stepsRun: Int, run: JSONValue) -> CellManifest {
    let divergedStep: Int?
    switch status {
    case .ok: divergedStep = nil
    case .diverged(let step): divergedStep = step
    }
    return CellManifest(
      id: hex, config: canonicalConfig, seed: Int(truncatingIfNeeded: config.seed),
      status: divergedStep == nil ? "ok" : "diverged", divergedStep: divergedStep,
      stepsRun: stepsRun, records: metrics.records,
      ndjsonSHA256: hexString(ndjsonHasher.finalize()),
      gzipSHA256: hexString(gzipHasher.finalize()), gzipBytes: gzipBytes,
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

  /// The NDJSON bytes and the gzip file of `records`, exactly as a `CellWriter` writes them, in
  /// memory (for reruns that compare without touching stored artifacts).
  public static func encode(records: [StepRecord], track: [Loss]) throws(ArtifactsError) -> (
    ndjson: [UInt8], gzip: [UInt8]
  ) {
    let writer = try GzipWriter()
    var ndjson: [UInt8] = []
    var compressed: [UInt8] = []
    for record in records {
      let line = Array(ndjsonLine(record, track: track).utf8)
      ndjson += line
      compressed += try writer.write(line)
    }
    compressed += try writer.finish()
    return (ndjson, compressed)
  }
}

/// Whether cell `hex` is done: its manifest parses and its step log exists with the size and
/// SHA-256 the manifest records. The cheap check used to resume; `verifySweep` also
/// decompresses the log and checks its content hash.
public func cellIsDone(sweepDirectory: String, hex: String) -> Bool {
  guard
    let manifest = try? CellManifest.load(
      path: cellManifestPath(sweepDirectory: sweepDirectory, hex: hex)),
    manifest.id == hex
  else { return false }
  let logPath = cellLogPath(sweepDirectory: sweepDirectory, hex: hex)
  var info = stat()
  guard stat(logPath, &info) == 0, Int(info.st_size) == manifest.gzipBytes else { return false }
  guard let digest = try? fileSHA256(logPath) else { return false }
  return digest.hex == manifest.gzipSHA256 && digest.bytes == manifest.gzipBytes
}
