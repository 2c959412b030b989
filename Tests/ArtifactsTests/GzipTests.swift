// Tests of the zlib wrapper: round trips, deterministic bytes, corruption and truncation.

import Foundation
import Testing

@testable import Artifacts

@Suite struct GzipTests {
  static let text = Array(String(repeating: "{\"step\":1,\"loss_cce\":0.69}\n", count: 500).utf8)

  @Test(arguments: [0, 1, 1000, 300_000])
  func roundTrip(size: Int) throws {
    var rng = SystemRandomNumberGenerator()
    let bytes = (0..<size).map { _ in UInt8.random(in: 0...15, using: &rng) }
    #expect(try gunzip(gzip(bytes)) == bytes)
  }

  @Test func sameInputGivesSameBytes() throws {
    let a = try gzip(Self.text)
    let b = try gzip(Self.text)
    #expect(a == b)
    #expect(a.count < Self.text.count / 10)
  }

  @Test func streamingInPiecesMatchesOneShot() throws {
    let writer = try GzipWriter()
    var out: [UInt8] = []
    for line in Self.text.split(separator: UInt8(ascii: "\n")) {
      out += try writer.write(Array(line) + [UInt8(ascii: "\n")])
    }
    out += try writer.finish()
    #expect(out == (try gzip(Self.text)))
  }

  @Test func headerHasNoNameNoMtimeAndUnknownOS() throws {
    let bytes = try gzip(Self.text)
    // ID1 ID2 CM FLG MTIME(4) XFL OS
    #expect(Array(bytes.prefix(10)) == [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
  }

  @Test func corruptedCRCIsReported() throws {
    var bytes = try gzip(Self.text)
    bytes[bytes.count - 6] ^= 0x01  // inside the CRC-32 of the trailer
    #expect {
      _ = try gunzip(bytes)
    } throws: { error in
      guard case ArtifactsError.zlib(_, _, .data, _, let message) = error else { return false }
      return message == "incorrect data check"
    }
  }

  @Test func corruptedLengthIsReported() throws {
    var bytes = try gzip(Self.text)
    bytes[bytes.count - 2] ^= 0x01  // inside ISIZE
    #expect {
      _ = try gunzip(bytes)
    } throws: { error in
      guard case ArtifactsError.zlib(_, _, .data, _, let message) = error else { return false }
      return message == "incorrect length check"
    }
  }

  @Test(arguments: [1, 4, 9, 30])
  func truncationIsReported(cut: Int) throws {
    let bytes = try gzip(Self.text)
    #expect(throws: ArtifactsError.truncated(file: "(in memory)", bytesRead: bytes.count - cut)) {
      _ = try gunzip(Array(bytes.dropLast(cut)))
    }
  }

  @Test func trailingBytesAreReported() throws {
    let bytes = try gzip(Self.text) + [0, 1, 2]
    #expect {
      _ = try gunzip(bytes)
    } throws: { error in
      guard case ArtifactsError.corrupt(_, let reason) = error else { return false }
      return reason.contains("3 bytes after the end")
    }
  }

  @Test func fileErrorsNameTheFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/x.gz"
    try Data(try gzip(Self.text).dropLast(3)).write(to: URL(fileURLWithPath: path))
    #expect(throws: ArtifactsError.self) { _ = try gunzip(contentsOf: directory.path + "/none.gz") }
    do {
      _ = try gunzip(contentsOf: path)
      Issue.record("expected a truncation error")
    } catch {
      #expect(error.description.hasPrefix(path + ": gzip stream is truncated"))
    }
  }
}
