// A small work queue for the commands that read every step log of a sweep (verify, report,
// claims, diff --logs): a few threads take the next item in turn, and results keep input order.

import Foundation

/// The number of threads the log-reading commands use: two, or one on a single-core machine.
public let logReadingThreads = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))

/// `items.map(body)` on `threads` threads. Each thread takes the next unclaimed item, so a slow
/// item never holds up the others; the results come back in the order of `items`. `progress`,
/// if given, is called after each item with the number done and the total, one call at a time.
public func parallelMap<Item: Sendable, Result: Sendable>(
  _ items: [Item], threads: Int = logReadingThreads,
  progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil,
  _ body: @Sendable (Item) -> Result
) -> [Result] {
  let queue = WorkQueue<Result>(count: items.count)
  DispatchQueue.concurrentPerform(iterations: max(1, min(threads, items.count))) { _ in
    while let index = queue.claim() {
      queue.store(body(items[index]), at: index, progress: progress)
    }
  }
  return queue.results()
}

/// The shared state of one `parallelMap`: the next index to hand out and the results so far.
private final class WorkQueue<Result: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private var done = 0
  private var slots: [Result?]

  init(count: Int) { slots = [Result?](repeating: nil, count: count) }

  func claim() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < slots.count else { return nil }
    next += 1
    return next - 1
  }

  /// Stores a result and reports progress, under the lock so reports come one at a time and in
  /// order.
  func store(
    _ result: Result, at index: Int, progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?
  ) {
    lock.lock()
    defer { lock.unlock() }
    slots[index] = result
    done += 1
    progress?(done, slots.count)
  }

  func results() -> [Result] {
    lock.lock()
    defer { lock.unlock() }
    return slots.compactMap { $0 }
  }
}
