// Tests of atomic writes and hashing.

import Foundation
import Testing

@testable import Artifacts

@Suite struct FilesTests {
  @Test func writeAtomicallyCreatesDirectoriesAndLeavesNoTemporaryFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/a/b/file.txt"
    try writeAtomically(Array("one\n".utf8), to: path)
    try writeAtomically(Array("two\n".utf8), to: path)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "two\n")
    #expect(directory.files("a/b") == ["file.txt"])
  }

  @Test func writeFailureNamesTheFileAndLeavesNothing() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    // A directory where the file should go makes the rename fail.
    try FileManager.default.createDirectory(
      atPath: directory.path + "/target/inner", withIntermediateDirectories: true)
    do {
      try writeAtomically([1, 2, 3], to: directory.path + "/target")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix(directory.path + "/target: cannot rename"))
    }
    #expect(directory.files() == ["target"])
  }

  @Test func sha256OfKnownInput() {
    #expect(
      sha256Hex(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }
}
