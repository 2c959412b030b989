// Tests of the work queue the log-reading commands share.

import Synchronization
import Testing

@testable import Artifacts

@Suite struct ParallelTests {
  @Test(arguments: [1, 2, 3])
  func resultsKeepTheInputOrder(threads: Int) {
    let items = Array(0..<101)
    #expect(parallelMap(items, threads: threads) { $0 * $0 } == items.map { $0 * $0 })
  }

  @Test func progressCountsEveryItemOnceInOrder() {
    let seen = Mutex<[Int]>([])
    let progress: @Sendable (Int, Int) -> Void = { done, total in
      #expect(total == 50)
      seen.withLock { $0.append(done) }
    }
    _ = parallelMap(Array(0..<50), threads: 2, progress: progress) { $0 }
    #expect(seen.withLock { $0 } == Array(1...50))
  }

  @Test func noItemsGiveNoResults() {
    #expect(parallelMap([Int](), threads: 2) { $0 }.isEmpty)
  }
}
