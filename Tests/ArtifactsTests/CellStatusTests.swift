// Tests of `CellStatus`: every status reads back as itself, and a manifest records only ok or
// diverged.
import Artifacts
import Testing
import TrainingCore

@Suite struct CellStatusTests {
  @Test(arguments: CellStatus.allCases) func textRoundTrips(status: CellStatus) {
    #expect(CellStatus(rawValue: status.description) == status)
  }

  @Test(arguments: CellStatus.recorded) func recordedStatusesRoundTrip(status: CellStatus) throws {
    #expect(try CellStatus(recorded: status.rawValue, file: "f") == status)
  }

  @Test func missingAndUnknownAreNotRecordedStatuses() {
    for text in ["missing", "OK", "failed", ""] {
      #expect(
        throws: ArtifactsError.badManifest(
          file: "f", reason: "status is \"\(text)\", expected ok or diverged")
      ) {
        _ = try CellStatus(recorded: text, file: "f")
      }
    }
  }

  @Test func theCoresRunStatusMaps() {
    #expect(CellStatus(RunStatus.ok) == .ok)
    #expect(CellStatus(RunStatus.diverged(step: 3)) == .diverged)
  }
}
