// A thin wrapper over zlib: a deterministic streaming gzip writer and a reader that reports
// corruption (CRC, length) and truncation. No zlib type leaves this file.

import CZlib

/// Bytes of zlib output or input handled per call.
private let chunkSize = 1 << 16

/// Routes a zlib return code: returns it when it is one of `accepted`, otherwise throws an
/// error that keeps zlib's code, its kind and the stream's `msg`.
@discardableResult
private func check(
  _ code: Int32, _ operation: String, _ stream: UnsafeMutablePointer<z_stream>, file: String,
  accepted: [Int32] = [Z_OK]
) throws(ArtifactsError) -> Int32 {
  if accepted.contains(code) { return code }
  let kind: ZlibErrorKind =
    switch code {
    case Z_STREAM_ERROR: .stream
    case Z_DATA_ERROR: .data
    case Z_MEM_ERROR: .memory
    case Z_BUF_ERROR: .buffer
    case Z_VERSION_ERROR: .version
    case Z_NEED_DICT: .needDictionary
    case Z_ERRNO: .errno
    default: .other(code)
    }
  let message = stream.pointee.msg.map { String(cString: $0) }
  throw .zlib(file: file, operation: operation, kind: kind, code: code, message: message)
}

/// A streaming gzip compressor whose output depends only on the bytes given to it: zlib level 6,
/// window 15, memLevel 8, default strategy, and a header with no file name, mtime 0 and OS 255.
public final class GzipWriter {
  private let stream: UnsafeMutablePointer<z_stream>
  /// zlib keeps a pointer to the header until it has written it, so it lives as long as we do.
  private let header: UnsafeMutablePointer<gz_header>
  private let scratch: UnsafeMutablePointer<UInt8>
  private let file: String
  private var finished = false

  /// Starts a gzip stream. `file` names the destination in error messages.
  public init(file: String = "(in memory)") throws(ArtifactsError) {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let header = UnsafeMutablePointer<gz_header>.allocate(capacity: 1)
    header.initialize(to: gz_header())
    header.pointee.os = 255
    header.pointee.time = 0
    header.pointee.name = nil
    func release() {
      stream.deallocate()
      header.deallocate()
    }
    do {
      try check(czlib_deflate_init_gzip(stream, 6), "deflateInit2", stream, file: file)
    } catch {
      release()
      throw error
    }
    do {
      try check(deflateSetHeader(stream, header), "deflateSetHeader", stream, file: file)
    } catch {
      deflateEnd(stream)
      release()
      throw error
    }
    self.stream = stream
    self.header = header
    self.scratch = .allocate(capacity: chunkSize)
    self.file = file
  }

  deinit {
    deflateEnd(stream)
    stream.deallocate()
    header.deallocate()
    scratch.deallocate()
  }

  /// Compresses `bytes` and returns the compressed bytes zlib has produced so far (often none:
  /// zlib buffers until it has a block).
  public func write(_ bytes: [UInt8]) throws(ArtifactsError) -> [UInt8] {
    try run(bytes, flush: Z_NO_FLUSH)
  }

  /// Ends the stream and returns the remaining compressed bytes, trailer included.
  public func finish() throws(ArtifactsError) -> [UInt8] {
    let out = try run([], flush: Z_FINISH)
    finished = true
    return out
  }

  private func run(_ bytes: [UInt8], flush: Int32) throws(ArtifactsError) -> [UInt8] {
    guard !finished else {
      throw .corrupt(file: file, reason: "write after the gzip stream was finished")
    }
    var out: [UInt8] = []
    try bytes.withUnsafeBufferPointer { (input) throws(ArtifactsError) in
      var offset = 0
      repeat {
        let count = min(input.count - offset, 1 << 30)
        stream.pointee.next_in = input.baseAddress.map {
          UnsafeMutablePointer(mutating: $0 + offset)
        }
        stream.pointee.avail_in = UInt32(count)
        offset += count
        let last = offset == input.count
        let mode = last ? flush : Z_NO_FLUSH
        var code: Int32
        repeat {
          stream.pointee.next_out = scratch
          stream.pointee.avail_out = UInt32(chunkSize)
          code = try check(
            deflate(stream, mode), "deflate", stream, file: file,
            accepted: [Z_OK, Z_BUF_ERROR, Z_STREAM_END])
          let produced = chunkSize - Int(stream.pointee.avail_out)
          out.append(contentsOf: UnsafeBufferPointer(start: scratch, count: produced))
          if code == Z_BUF_ERROR && produced == 0 && mode == Z_FINISH {
            try check(code, "deflate", stream, file: file)
          }
        } while stream.pointee.avail_out == 0 || (mode == Z_FINISH && code != Z_STREAM_END)
      } while offset < input.count
    }
    stream.pointee.next_in = nil
    return out
  }
}

/// A streaming gzip decompressor for a single gzip member. zlib checks the trailer's CRC-32 and
/// length; input that stops before the trailer is reported as truncation by `finish()`, and
/// bytes after the trailer as corruption.
public final class GzipReader {
  private let stream: UnsafeMutablePointer<z_stream>
  private let scratch: UnsafeMutablePointer<UInt8>
  private let file: String
  private var bytesRead = 0
  /// Whether the gzip trailer has been read and checked.
  public private(set) var isComplete = false

  /// Starts reading a gzip stream. `file` names the source in error messages.
  public init(file: String = "(in memory)") throws(ArtifactsError) {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    do {
      try check(czlib_inflate_init_gzip(stream), "inflateInit2", stream, file: file)
    } catch {
      stream.deallocate()
      throw error
    }
    self.stream = stream
    self.scratch = .allocate(capacity: chunkSize)
    self.file = file
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
    scratch.deallocate()
  }

  /// Decompresses the next piece of the gzip file and appends the output to `output`.
  public func read(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8])
    throws(ArtifactsError)
  {
    guard !bytes.isEmpty else { return }
    guard !isComplete else {
      throw .corrupt(file: file, reason: "\(bytes.count) bytes after the end of the gzip stream")
    }
    var offset = 0
    while offset < bytes.count {
      let count = min(bytes.count - offset, 1 << 30)
      stream.pointee.next_in = bytes.baseAddress.map { UnsafeMutablePointer(mutating: $0 + offset) }
      stream.pointee.avail_in = UInt32(count)
      var code: Int32
      repeat {
        stream.pointee.next_out = scratch
        stream.pointee.avail_out = UInt32(chunkSize)
        code = try check(
          inflate(stream, Z_NO_FLUSH), "inflate", stream, file: file,
          accepted: [Z_OK, Z_BUF_ERROR, Z_STREAM_END])
        let produced = chunkSize - Int(stream.pointee.avail_out)
        output.append(contentsOf: UnsafeBufferPointer(start: scratch, count: produced))
      } while code == Z_OK && (stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0)
      let consumed = count - Int(stream.pointee.avail_in)
      bytesRead += consumed
      offset += consumed
      stream.pointee.next_in = nil
      if code == Z_STREAM_END {
        isComplete = true
        if offset < bytes.count {
          throw .corrupt(
            file: file, reason: "\(bytes.count - offset) bytes after the end of the gzip stream")
        }
        return
      }
      if consumed == 0 { break }
    }
  }

  /// Declares the input complete; throws `truncated` when the trailer was never reached.
  public func finish() throws(ArtifactsError) {
    if !isComplete { throw .truncated(file: file, bytesRead: bytesRead) }
  }
}

/// The gzip file of `bytes`, as `GzipWriter` writes it.
public func gzip(_ bytes: [UInt8]) throws(ArtifactsError) -> [UInt8] {
  let writer = try GzipWriter()
  var out = try writer.write(bytes)
  out += try writer.finish()
  return out
}

/// The decompressed contents of a gzip file held in memory; throws on corruption or truncation.
public func gunzip(_ bytes: [UInt8]) throws(ArtifactsError) -> [UInt8] {
  try gunzip(bytes, file: "(in memory)")
}

func gunzip(_ bytes: [UInt8], file: String) throws(ArtifactsError) -> [UInt8] {
  let reader = try GzipReader(file: file)
  var out: [UInt8] = []
  try bytes.withUnsafeBufferPointer { (input) throws(ArtifactsError) in
    try reader.read(input, into: &out)
  }
  try reader.finish()
  return out
}

/// The decompressed contents of the gzip file at `path`, read in chunks; throws on a missing
/// file, corruption (CRC, length, bad data) or truncation.
public func gunzip(contentsOf path: String) throws(ArtifactsError) -> [UInt8] {
  let reader = try GzipReader(file: path)
  var out: [UInt8] = []
  try forEachChunk(ofFile: path) { (chunk) throws(ArtifactsError) in
    try reader.read(chunk, into: &out)
  }
  try reader.finish()
  return out
}
