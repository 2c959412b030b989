// Helpers shared by the SweepSpec tests: the repository root and error capture.

import Foundation
import SweepSpec

/// The package root, found from this file's path so tests don't depend on the working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The path of a shipped sweep file.
func sweepFile(_ name: String) -> String {
  repositoryRoot.appendingPathComponent("sweeps/\(name).yaml").path
}

/// The error parsing `text` throws, or nil when it parses.
func parseError(
  _ text: String, overrides: [String] = [], maxCells: Int = 100_000
) -> SweepSpecError? {
  do {
    _ = try Sweep.parse(text: text, path: "t.yaml", overrides: overrides, maxCells: maxCells)
    return nil
  } catch {
    return error
  }
}

/// Temporary files for tests that go through `Sweep.load`.
enum FileManagerHelper {
  static func temporaryFile(bytes: [UInt8], name: String = UUID().uuidString + ".yaml") -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    _ = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
    return url.path
  }
}
