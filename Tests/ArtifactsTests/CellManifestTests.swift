// Tests of the cell manifest's JSON form.

import CanonicalJSON
import Testing

@testable import Artifacts

@Suite struct CellManifestTests {
  @Test func jsonRoundTrip() throws {
    let manifest = cellManifest(
      "a", config: configJSON(), finalAccuracy: 0.953125, status: "diverged")
    let text = manifest.json.prettyText
    let parsed = try CellManifest(json: try JSONValue(parsing: text))
    #expect(parsed == manifest)
    #expect(parsed.json.prettyText == text)
  }

  @Test func canonicalBytes() {
    let manifest = cellManifest("a", config: configJSON(), finalAccuracy: 0.5)
    let text = manifest.json.canonicalText
    #expect(text.hasPrefix("{\"config\":{\"batch_norm\":false,"))
    #expect(text.contains("\"diverged_step\":null,\"gzip_bytes\":100,"))
    #expect(
      text.contains(
        "\"metrics\":{\"best_accuracy\":0.5,\"best_accuracy_step\":9,\"final_accuracy\":0.5,"
          + "\"final_accuracy_step\":9,\"final_grad_norms\":{\"cce\":0.5,\"dice\":0.125},"
          + "\"final_losses\":{\"cce\":0.25,\"dice\":null}}"))
    #expect(text.contains("\"schema\":\"segsweep.cell/1\""))
  }

  @Test func badManifestsNameFileAndKey() throws {
    var json = cellManifest("a", config: configJSON(), finalAccuracy: 0.5).json
    guard case .object(var members) = json else { return }
    members["records"] = .string("ten")
    json = .object(members)
    #expect(
      throws: ArtifactsError.badManifest(
        file: "cells/x.json", reason: "\"records\": expected an integer, found \"ten\"")
    ) { _ = try CellManifest(json: json, file: "cells/x.json") }
    members["records"] = nil
    members["schema"] = .string("other/1")
    #expect(throws: ArtifactsError.self) { _ = try CellManifest(json: .object(members)) }
  }
}
