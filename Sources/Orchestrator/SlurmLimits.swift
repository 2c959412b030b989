// The cluster's limit on job arrays: `MaxArraySize` of `scontrol show config`. Array indices run
// from 0 to MaxArraySize - 1, so a sweep can have at most MaxArraySize tasks.
import Foundation

/// `MaxArraySize` in the text of `scontrol show config`, or nil when it has none.
public func maxArraySize(inConfig text: String) -> Int? {
  for line in text.split(whereSeparator: \.isNewline) {
    let parts = line.split(separator: "=", maxSplits: 1)
    guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "MaxArraySize"
    else { continue }
    return Int(parts[1].trimmingCharacters(in: .whitespaces))
  }
  return nil
}

/// The cluster's `MaxArraySize`, asking `scontrol show config`; nil when scontrol is not on
/// PATH or does not answer (the scripts can still be written, for another machine).
public func clusterMaxArraySize(scontrol: String = "scontrol") -> Int? {
  // Its stderr is captured and dropped: no scontrol here is an answer, not an error.
  guard
    let child = try? ChildProcess(
      executable: "/usr/bin/env", arguments: [scontrol, "show", "config"],
      standardError: .captured)
  else { return nil }
  child.closeInput()
  let output = readToEnd(child.stdoutFD)
  child.wait()
  guard child.exitCode == 0 else { return nil }
  return maxArraySize(inConfig: String(decoding: output, as: UTF8.self))
}

/// Why `tasks` array tasks do not fit under the cluster's `limit`, or nil when they do.
public func arraySizeProblem(tasks: Int, limit: Int?) -> String? {
  guard let limit, tasks > limit else { return nil }
  return "--tasks \(tasks) is more than this cluster's MaxArraySize of \(limit) "
    + "(scontrol show config); use --tasks \(limit) or fewer (with --dynamic, each task takes "
    + "cells until none are left, so fewer tasks than cells still run every cell)"
}
