// The `sweep` binary built alongside the tests, and running it as a user would, for every
// end-to-end test file.
import Foundation

/// The built `sweep` next to the test runner, or the package's debug build.
let sweepExecutable: URL = {
  var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
  while url.path != "/" {
    url = url.deletingLastPathComponent()
    let candidate = url.appendingPathComponent("sweep")
    if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
  }
  return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../.build/debug/sweep").standardizedFileURL
}()

/// The package's root directory, where relative paths such as sweeps/smoke.yaml resolve.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent().deletingLastPathComponent()

/// What one run of the binary gave.
struct Output {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// Runs `sweep arguments` in `directory` (default: the package root) and waits for it.
func sweep(_ arguments: [String], in directory: URL? = nil) throws -> Output {
  let process = Process()
  process.executableURL = sweepExecutable
  process.arguments = arguments
  process.currentDirectoryURL = directory ?? packageRoot
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return Output(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}
