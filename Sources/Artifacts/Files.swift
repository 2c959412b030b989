// File primitives for artifacts: atomic writes (temp name, fsync, rename), chunked reads,
// directory creation and SHA-256 in lowercase hex.

import Crypto
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The message of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

/// Creates `path` and any missing parents; an existing directory is fine.
public func createDirectories(_ path: String) throws(ArtifactsError) {
  var isDirectory: ObjCBool = false
  if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue
  {
    return
  }
  do {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  } catch {
    throw .io(
      file: path, operation: "create the directory", reason: "\(error.localizedDescription)")
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
  let directory = directoryName(path)
  try createDirectories(directory)
  let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
  let temporary = "\(directory)/\(baseName(path)).\(getpid()).\(suffix).tmp"
  let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
  guard fd >= 0 else { throw .io(file: temporary, operation: "create", reason: errnoText()) }
  var closed = false
  var renamed = false
  defer {
    if !closed { close(fd) }
    if !renamed { unlink(temporary) }
  }
  try bytes.withUnsafeBufferPointer { (buffer) throws(ArtifactsError) in
    try writeAll(fd, UnsafeRawBufferPointer(buffer), file: temporary)
  }
  guard fsync(fd) == 0 else { throw .io(file: temporary, operation: "fsync", reason: errnoText()) }
  closed = true
  guard close(fd) == 0 else { throw .io(file: temporary, operation: "close", reason: errnoText()) }
  guard rename(temporary, path) == 0 else {
    throw .io(file: path, operation: "rename \(temporary) to", reason: errnoText())
  }
  renamed = true
  syncDirectory(directory)
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

/// Lowercase hex of a digest.
func hexString(_ digest: some Sequence<UInt8>) -> String {
  let digits = Array("0123456789abcdef")
  var out = ""
  out.reserveCapacity(64)
  for byte in digest {
    out.append(digits[Int(byte >> 4)])
    out.append(digits[Int(byte & 0x0F)])
  }
  return out
}

/// Lowercase hex SHA-256 of `bytes`.
public func sha256Hex(_ bytes: [UInt8]) -> String {
  hexString(SHA256.hash(data: bytes))
}

/// Lowercase hex SHA-256 and size in bytes of the file at `path`, read in chunks.
func fileSHA256(_ path: String) throws(ArtifactsError) -> (hex: String, bytes: Int) {
  var hasher = SHA256()
  var size = 0
  try forEachChunk(ofFile: path) { chunk in
    hasher.update(bufferPointer: UnsafeRawBufferPointer(chunk))
    size += chunk.count
  }
  return (hexString(hasher.finalize()), size)
}
