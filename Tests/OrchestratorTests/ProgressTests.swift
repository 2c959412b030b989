import Testing

@testable import Orchestrator

@Test(arguments: [(8.25, "8.2s"), (75, "1m15s"), (3725, "1h02m"), (59.96, "60.0s")])
func durationsAreShort(seconds: Double, text: String) {
  #expect(formatDuration(seconds) == text)
}
