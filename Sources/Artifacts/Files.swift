// File primitives for artifacts: atomic writes (temp name, fsync, rename), chunked reads,
// directory creation and SHA-256 in lowercase hex.

import Crypto
import Foundation
import SweepSpec

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The message of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

/// Creates `path` and any missing parents; an existing directory is fine. A part of the path
/// that exists but is not a directory is named in the error ("… is a file, not a directory").
public func createDirectories(_ path: String) throws(ArtifactsError) {
  var info = stat()
  if stat(path, &info) == 0 {
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
      throw .io(
        file: path, operation: "create the directory",
        reason: "\(fileKind(info)) of that name is in the way")
    }
    return
  }
  let parent = directoryName(path)
  if parent != path && parent != "." && parent != "/" { try createDirectories(parent) }
  if mkdir(path, 0o755) != 0 && errno != EEXIST {
    throw .io(file: path, operation: "create the directory", reason: errnoText())
  }
  guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
    throw .io(
      file: path, operation: "create the directory",
      reason: "\(fileKind(info)) of that name is in the way")
  }
}

/// "a regular file", "a FIFO", …: what is at a path, for messages when it is not what was expected.
public func fileKind(_ info: stat) -> String {
  switch info.st_mode & S_IFMT {
  case S_IFREG: "a regular file"
  case S_IFDIR: "a directory"
  case S_IFIFO: "a FIFO"
  case S_IFCHR: "a character device"
  case S_IFBLK: "a block device"
  case S_IFSOCK: "a socket"
  case S_IFLNK: "a symbolic link"
  default: "not a regular file or directory"
  }
}

/// The directory part of `path` ("." when there is none).
func directoryName(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return "." }
  return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of `path`.
func baseName(_ path: String) -> String {
  guard let slash = path.lastIndex(of: "/") else { return path }
  return String(path[path.index(after: slash)...])
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, file: String) throws(ArtifactsError) {
  var offset = 0
  while offset < bytes.count {
    let n = write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
    if n < 0 {
      if errno == EINTR { continue }
      throw .io(file: file, operation: "write", reason: errnoText())
    }
    offset += n
  }
}

/// Writes `bytes` to `path` so that readers see either the old file or the whole new one: the
/// bytes go to a temporary name in the same directory (`<name>.<pid>.<random>.tmp`), are
/// fsynced and renamed over `path`. Missing directories are created; the temporary file is
/// removed on failure.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws(ArtifactsError) {
  let staged = try StagedFile(bytes, for: path)
  try staged.commit()
  syncDirectory(directoryName(path))
}

/// Bytes written and fsynced under a temporary name next to `path`, not yet renamed into
/// place: `commit` is a single rename. Lets a writer that commits two files (a cell's step
/// log, then its manifest) do every slow part first, so that only two renames lie between
/// them. The temporary file is removed if the value is dropped uncommitted.
final class StagedFile {
  let path: String
  let temporary: String
  private var committed = false

  init(_ bytes: [UInt8], for path: String) throws(ArtifactsError) {
    let directory = directoryName(path)
    try createDirectories(directory)
    let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    let temporary = "\(directory)/\(baseName(path)).\(getpid()).\(suffix).tmp"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .io(file: temporary, operation: "create", reason: errnoText()) }
    var closed = false
    var kept = false
    defer {
      if !closed { close(fd) }
      if !kept { unlink(temporary) }
    }
    try bytes.withUnsafeBufferPointer { (buffer) throws(ArtifactsError) in
      try writeAll(fd, UnsafeRawBufferPointer(buffer), file: temporary)
    }
    guard fsync(fd) == 0 else {
      throw .io(file: temporary, operation: "fsync", reason: errnoText())
    }
    closed = true
    guard close(fd) == 0 else {
      throw .io(file: temporary, operation: "close", reason: errnoText())
    }
    kept = true
    self.path = path
    self.temporary = temporary
  }

  /// Renames the temporary file over `path`. The directory is not synced: the caller does that.
  func commit() throws(ArtifactsError) {
    guard rename(temporary, path) == 0 else {
      throw .io(file: path, operation: "rename \(temporary) to", reason: errnoText())
    }
    committed = true
  }

  deinit {
    if !committed { unlink(temporary) }
  }
}

/// Flushes a directory entry change (a rename) to disk; best effort.
func syncDirectory(_ directory: String) {
  let fd = open(directory, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return }
  fsync(fd)
  close(fd)
}

/// Calls `body` with successive chunks of the file at `path`.
func forEachChunk(
  ofFile path: String, _ body: (UnsafeBufferPointer<UInt8>) throws(ArtifactsError) -> Void
) throws(ArtifactsError) {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { throw .io(file: path, operation: "open", reason: errnoText()) }
  defer { close(fd) }
  let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
  defer { buffer.deallocate() }
  while true {
    let n = read(fd, buffer.baseAddress, buffer.count)
    if n < 0 {
      if errno == EINTR { continue }
      throw .io(file: path, operation: "read", reason: errnoText())
    }
    if n == 0 { return }
    try body(UnsafeBufferPointer(rebasing: buffer[0..<n]))
  }
}

/// The whole contents of the file at `path`.
func readFile(_ path: String) throws(ArtifactsError) -> [UInt8] {
  var out: [UInt8] = []
  try forEachChunk(ofFile: path) { chunk in out.append(contentsOf: chunk) }
  return out
}

/// Lowercase hex SHA-256 of `bytes`.
public func sha256Hex(_ bytes: [UInt8]) -> String {
  lowercaseHex(SHA256.hash(data: bytes))
}

/// Lowercase hex SHA-256 and size in bytes of the file at `path`, read in chunks.
func fileSHA256(_ path: String) throws(ArtifactsError) -> (hex: String, bytes: Int) {
  var hasher = SHA256()
  var size = 0
  try forEachChunk(ofFile: path) { chunk in
    hasher.update(bufferPointer: UnsafeRawBufferPointer(chunk))
    size += chunk.count
  }
  return (lowercaseHex(hasher.finalize()), size)
}

/// This machine's host name as it appears in temporary step-log names: letters, digits, `-`
/// and `.` only.
public func temporaryHostName() -> String {
  var buffer = [CChar](repeating: 0, count: 256)
  guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
  let name = String(
    decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "-" })
  return cleaned.isEmpty ? "unknown" : cleaned
}

/// Whether a temporary file in `directory` may still be written by a live process: its name
/// carries this host and a live pid, or (written on another host, or by an older tool that did
/// not record the host) it was modified in the last minute. Step logs are named
/// `<id>.ndjson.gz.<pid>@<host>.tmp`, atomic writes `<name>.<pid>.<random hex>.tmp`.
func temporaryFileIsLive(_ name: String, in directory: String, now: time_t = time(nil)) -> Bool {
  guard name.hasSuffix(".tmp") else { return false }
  let stem = name.dropLast(4)
  var pid: pid_t?
  var host: Substring?
  if let range = stem.range(of: ".ndjson.gz.") {
    let owner = stem[range.upperBound...]
    let parts = owner.split(separator: "@", maxSplits: 1)
    pid = parts.first.flatMap { pid_t($0) }
    host = parts.count == 2 ? parts[1] : nil
  } else {
    let parts = stem.split(separator: ".")
    if parts.count >= 3 { pid = pid_t(parts[parts.count - 2]) }
  }
  let local = host.map { $0 == temporaryHostName() } ?? false
  if local, let pid { return processIsAlive(pid) }
  if let pid, processIsAlive(pid) { return true }
  var info = stat()
  guard stat("\(directory)/\(name)", &info) == 0 else { return false }
  return now - info.st_mtim.tv_sec < 60
}

/// Whether a process with this pid runs on this machine. A zombie (killed, not yet reaped by
/// an init that may never reap it) does not count.
func processIsAlive(_ pid: pid_t) -> Bool {
  guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
  guard let stat = try? readFile("/proc/\(pid)/stat"),
    let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
  else { return true }
  let state = stat[close + 2]
  return state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
}

/// Ids (64 hex) of the cells whose temporary step log in `cellsDirectory` is being written by a
/// live process (see `temporaryFileIsLive`).
public func cellsBeingWritten(cellsDirectory: String) -> Set<String> {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: cellsDirectory)) ?? []
  var result = Set<String>()
  for name in names where name.contains(".ndjson.gz.") && name.hasSuffix(".tmp") {
    if temporaryFileIsLive(name, in: cellsDirectory) { result.insert(String(name.prefix(64))) }
  }
  return result
}

/// Removes the temporary files (`*.tmp`) in `directory` that no live process writes: those left
/// by a killed run. Returns how many were removed.
@discardableResult
public func removeAbandonedTemporaryFiles(in directory: String) -> Int {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
  var removed = 0
  for name in names where name.hasSuffix(".tmp") && !temporaryFileIsLive(name, in: directory) {
    if unlink("\(directory)/\(name)") == 0 { removed += 1 }
  }
  return removed
}

/// Lowercase hex SHA-256 of the file at `path`, or nil when it cannot be read.
public func gzipSHA256(ofFile path: String) -> String? {
  try? fileSHA256(path).hex
}
