// Tests of `WorkerMessage`: each message reads back as itself, the lines are the protocol's
// exact bytes, and a line that is not a message is an error.
import Artifacts
import CanonicalJSON
import SweepSpec
import Testing
import TrainingCore

@testable import Orchestrator

@Suite struct WorkerMessageTests {
  static let cell = Cell(config: TrainingConfig())

  static let messages: [WorkerMessage] = [
    .job(directory: "results/s", id: cell.id, config: cell.canonicalConfig),
    .progress(step: 12),
    .done(status: .ok, steps: 20),
    .done(status: .diverged, steps: 4),
    .error(message: "no space", diskFull: "/r/cells/x.tmp"),
    .error(message: "boom", diskFull: nil),
    .error(message: "EIO", diskFull: nil, io: true),
  ]

  @Test(arguments: messages) func everyMessageRoundTrips(message: WorkerMessage) throws {
    #expect(try WorkerMessage(line: message.line) == message)
  }

  @Test func linesAreTheProtocolsBytes() {
    #expect(WorkerMessage.progress(step: 3).line == #"{"event":"progress","step":3}"#)
    #expect(
      WorkerMessage.done(status: .diverged, steps: 4).line
        == #"{"event":"done","status":"diverged","steps":4}"#)
    #expect(
      WorkerMessage.error(message: "m", diskFull: "/p").line
        == #"{"disk_full":"/p","event":"error","message":"m"}"#)
    #expect(
      WorkerMessage.error(message: "m", io: true).line
        == #"{"event":"error","io":true,"message":"m"}"#)
    #expect(WorkerMessage.error(message: "m").line == #"{"event":"error","message":"m"}"#)
  }

  @Test func anExplicitFalseIOFlagReadsAsACellsOwnError() throws {
    #expect(
      try WorkerMessage(line: #"{"event":"error","io":false,"message":"m"}"#)
        == .error(message: "m"))
  }

  @Test(arguments: [
    "", "garbage", "[1]", #"{"event":"progress"}"#,
    #"{"event":"done","status":"missing","steps":1}"#,
    #"{"event":"hello"}"#, #"{"event":"error"}"#, #"{"dir":"d","id":"abc","config":{}}"#,
    #"{"event":"error","io":"yes","message":"m"}"#,
  ])
  func anythingElseIsAProtocolError(line: String) {
    #expect(throws: OrchestratorError.self) { _ = try WorkerMessage(line: line) }
  }
}
