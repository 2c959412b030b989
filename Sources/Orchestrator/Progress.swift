// The progress display of `sweep run`: one live line on a terminal, plain periodic lines
// otherwise, nothing with --quiet.
import Foundation

/// Prints the progress of a run to standard error until the run finishes.
final class ProgressDisplay: @unchecked Sendable {
  private let state: RunState
  private let quiet: Bool
  private let isTerminal = isatty(STDERR_FILENO) == 1
  private let lock = NSLock()
  private var lineShown = false
  private let clock = ContinuousClock()
  private let start: ContinuousClock.Instant

  init(state: RunState, quiet: Bool) {
    self.state = state
    self.quiet = quiet
    start = clock.now
  }

  /// Redraws (terminal: every 0.2 s) or prints (otherwise: every 10 s) until `finished` fires.
  func run(until finished: DispatchSemaphore) {
    let interval: Double = isTerminal ? 0.2 : 10
    while finished.wait(timeout: .now() + interval) == .timedOut {
      if !quiet { show(final: false) }
    }
    if !quiet { show(final: true) }
  }

  /// Prints a message on its own line without garbling the live line.
  func printAbove(_ message: String) {
    lock.withLock {
      if lineShown && isTerminal { write("\r\u{1B}[2K") }
      write(message + "\n")
      lineShown = false
    }
  }

  private func show(final: Bool) {
    let s = state.snapshot()
    let elapsed = seconds(clock.now - start)
    let rate = elapsed > 0 ? Double(s.steps) / elapsed : 0
    let remaining = Double(max(0, state.totalSteps - s.steps))
    let eta = rate > 0 ? formatDuration(remaining / rate) : "?"
    var line =
      "\(s.done)/\(state.totalCells) cells"
      + (s.failed > 0 ? " (\(s.failed) failed)" : "")
      + ", \(s.running) running, \(Int(rate.rounded())) steps/s"
    line += final ? ", \(formatDuration(elapsed))" : ", ETA \(eta)"
    lock.withLock {
      if isTerminal {
        write("\r\u{1B}[2K" + line + (final ? "\n" : ""))
        lineShown = !final
      } else {
        write(line + "\n")
      }
    }
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}

/// A duration in seconds.
public func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

/// 75 -> "1m15s", 3725 -> "1h02m", 8.2 -> "8.2s".
public func formatDuration(_ s: Double) -> String {
  if s < 60 { return String(format: "%.1fs", s) }
  let total = Int(s.rounded())
  if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
  return "\(total / 3600)h\(String(format: "%02d", (total % 3600) / 60))m"
}
