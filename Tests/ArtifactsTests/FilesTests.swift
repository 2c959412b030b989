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

  @Test func aStagedFileIsInPlaceOnlyOnceCommitted() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let path = directory.path + "/file.txt"
    do {
      let staged = try StagedFile(Array("dropped\n".utf8), for: path)
      #expect(directory.files() == [baseName(staged.temporary)])
    }
    #expect(directory.files().isEmpty)
    let staged = try StagedFile(Array("kept\n".utf8), for: path)
    #expect(!FileManager.default.fileExists(atPath: path))
    try staged.commit()
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "kept\n")
    #expect(directory.files() == ["file.txt"])
  }

  @Test func sha256OfKnownInput() {
    #expect(
      sha256Hex(Array("abc".utf8))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }
}

@Suite struct DirectoryAndTemporaryFileTests {
  @Test func aFileInTheWayOfADirectoryIsNamed() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let file = directory.path + "/cells"
    try Data("x".utf8).write(to: URL(fileURLWithPath: file))
    #expect(
      throws: ArtifactsError.io(
        file: file, operation: "create the directory",
        reason: "a regular file of that name is in the way")
    ) {
      try createDirectories(file)
    }
    #expect(
      throws: ArtifactsError.io(
        file: file, operation: "create the directory",
        reason: "a regular file of that name is in the way")
    ) {
      try createDirectories(file + "/deeper/still")
    }
    try createDirectories(directory.path + "/a/b/c")
    try createDirectories(directory.path + "/a/b/c")
    #expect(directory.files("a/b") == ["c"])
  }

  @Test func temporaryFilesOfDeadProcessesAreRemovedAndLiveOnesKept() throws {
    let directory = try TemporaryDirectory()
    defer { directory.cleanup() }
    let host = temporaryHostName()
    let hex = fakeID("t")
    // A pid far above pid_max is never alive.
    let names = [
      "\(hex).ndjson.gz.\(getpid())@\(host).tmp",  // this process: live
      "\(hex).ndjson.gz.999999999@\(host).tmp",  // dead, this host
      "\(hex).json.999999999.ab12.tmp",  // an atomic write of a dead process
      "\(hex).ndjson.gz.999999999@elsewhere.tmp",  // another host, fresh: may be live there
    ]
    for name in names {
      try Data("x".utf8).write(to: URL(fileURLWithPath: "\(directory.path)/\(name)"))
    }
    var old = stat()
    let oldPath = "\(directory.path)/\(names[2])"
    #expect(stat(oldPath, &old) == 0)
    var times = [timespec(tv_sec: 1, tv_nsec: 0), timespec(tv_sec: 1, tv_nsec: 0)]
    #expect(utimensat(AT_FDCWD, oldPath, &times, 0) == 0)
    #expect(cellsBeingWritten(cellsDirectory: directory.path) == [hex])
    #expect(removeAbandonedTemporaryFiles(in: directory.path) == 2)
    #expect(directory.files() == [names[0], names[3]].sorted())
  }

  /// A killed worker whose parent died stays a zombie until init reaps it (some inits never
  /// do): it must not count as alive, or `status` would call its cell running.
  @Test func aZombieIsNotAlive() throws {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { for arg in argv { free(arg) } }
    #expect(posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0)
    #expect(processIsAlive(getpid()))
    var zombie = false
    for _ in 0..<500 where !zombie {
      let stat = (try? readFile("/proc/\(pid)/stat")) ?? []
      zombie = stat.contains(UInt8(ascii: "Z"))
      if !zombie { usleep(10_000) }
    }
    #expect(zombie)
    #expect(!processIsAlive(pid))
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    #expect(!processIsAlive(pid))
  }
}
