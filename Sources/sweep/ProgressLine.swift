// The progress line of the commands that read every step log (verify, report, claims,
// diff --logs): on a terminal only, rewritten in place, then one closing line; scripts that
// capture standard error see nothing new.
import Artifacts
import Foundation

/// Counts done items on standard error as `reading step logs 57/180`, at most ten times a second,
/// and closes with how many were done and how long it took; silent when standard error is not a
/// terminal.
final class ProgressLine: @unchecked Sendable {
  private let label: String
  private let terminal = isatty(STDERR_FILENO) != 0
  private let start = Date()
  private let lock = NSLock()
  private var lastDraw = Date.distantPast
  private var total = 0

  init(_ label: String) { self.label = label }

  /// The callback to hand to the loading functions.
  var callback: @Sendable (Int, Int) -> Void { { [self] done, total in update(done, total) } }

  func update(_ done: Int, _ total: Int) {
    lock.lock()
    defer { lock.unlock() }
    self.total = total
    guard terminal else { return }
    let now = Date()
    guard done == total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
    lastDraw = now
    FileHandle.standardError.write(Data("\r\(label) \(done)/\(total)\u{1B}[K".utf8))
  }

  /// Clears the line and prints e.g. `reading step logs: 180 in 3.1 s on 2 threads`.
  func finish() {
    lock.lock()
    defer { lock.unlock() }
    guard terminal else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    guard total > 0 else { return }
    let seconds = Date().timeIntervalSince(start)
    printError(
      "\(label): \(total) in \(String(format: "%.1f", seconds)) s on \(logReadingThreads) "
        + "thread\(logReadingThreads == 1 ? "" : "s")")
  }
}
