// The errors of the Artifacts module: every case names the file (or directory) it is about and
// says what went wrong there.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The kind of a zlib failure, one per `Z_*` return code.
public enum ZlibErrorKind: Sendable, Equatable, CustomStringConvertible {
  /// `Z_STREAM_ERROR`: inconsistent stream state or bad parameters.
  case stream
  /// `Z_DATA_ERROR`: corrupt input (bad header, bad deflate data, CRC or length mismatch).
  case data
  /// `Z_MEM_ERROR`: out of memory.
  case memory
  /// `Z_BUF_ERROR`: no progress possible; on input, the stream ended early.
  case buffer
  /// `Z_VERSION_ERROR`: the zlib library is incompatible with the header.
  case version
  /// `Z_NEED_DICT`: the stream needs a preset dictionary.
  case needDictionary
  /// `Z_ERRNO`: a file system error inside zlib.
  case errno
  /// Any other code.
  case other(Int32)

  public var description: String {
    switch self {
    case .stream: "Z_STREAM_ERROR"
    case .data: "Z_DATA_ERROR"
    case .memory: "Z_MEM_ERROR"
    case .buffer: "Z_BUF_ERROR"
    case .version: "Z_VERSION_ERROR"
    case .needDictionary: "Z_NEED_DICT"
    case .errno: "Z_ERRNO"
    case .other(let code): "zlib code \(code)"
    }
  }
}

/// What can go wrong reading or writing artifacts.
public enum ArtifactsError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A zlib call failed: zlib's own code and message are kept.
  case zlib(file: String, operation: String, kind: ZlibErrorKind, code: Int32, message: String?)
  /// A gzip stream ended before its trailer: the file was cut short.
  case truncated(file: String, bytesRead: Int)
  /// A gzip file is not a single well-formed gzip stream.
  case corrupt(file: String, reason: String)
  /// A system call on a file failed; `reason` is `strerror(errno)`.
  case io(file: String, operation: String, reason: String)
  /// A manifest could not be read or does not have the documented shape.
  case badManifest(file: String, reason: String)
  /// Another process holds the results lock of a directory.
  case locked(directory: String, pid: Int32?)
  /// A command-line value this module reads (a `sweep diff` tolerance) is malformed.
  case badOption(flag: String, value: String, reason: String)

  /// The file or directory the error is about (for a parse error, `path:line:column`).
  public var file: String {
    switch self {
    case .zlib(let file, _, _, _, _), .truncated(let file, _), .corrupt(let file, _),
      .io(let file, _, _), .badManifest(let file, _):
      file
    case .locked(let directory, _): directory
    case .badOption(let flag, _, _): flag
    }
  }

  /// Whether this is the file system running out of space (ENOSPC, or EDQUOT for a quota).
  public var isDiskFull: Bool {
    guard case .io(_, _, let reason) = self else { return false }
    return reason == String(cString: strerror(ENOSPC))
      || reason == String(cString: strerror(EDQUOT))
  }

  /// The message without the leading file name, for lists that show the file separately.
  public var reason: String {
    let text = description
    let prefix = file + ": "
    return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
  }

  public var description: String {
    switch self {
    case .zlib(let file, let operation, let kind, let code, let message):
      let detail = message.map { ": \($0)" } ?? ""
      return "\(file): zlib \(operation) failed with \(kind) (\(code))\(detail)"
    case .truncated(let file, let bytesRead):
      return "\(file): gzip stream is truncated (ends after \(bytesRead) bytes, before its trailer)"
    case .corrupt(let file, let reason):
      return "\(file): corrupt gzip file: \(reason)"
    case .io(let file, let operation, let reason):
      return "\(file): cannot \(operation): \(reason)"
    case .badManifest(let file, let reason):
      return "\(file): bad manifest: \(reason)"
    case .locked(let directory, let pid):
      let who = pid.map { "another `sweep run` (pid \($0))" } ?? "another `sweep run`"
      return "\(who) is writing \(directory); wait for it or stop it"
    case .badOption(let flag, let value, let reason):
      return "\(flag) \(value): \(reason)"
    }
  }
}
