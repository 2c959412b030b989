import Testing

@testable import CanonicalJSON

@Test func canonicalTextSortsKeysAndUsesShortNumbers() {
  let value = JSONValue.object([
    "b": .number(10_001), "a": .array([.bool(true), .null, .number(0.001)]),
    "c": .string("x\"y\n"),
  ])
  #expect(value.canonicalText == #"{"a":[true,null,0.001],"b":10001,"c":"x\"y\n"}"#)
}

@Test func floatsAreWrittenAsTheirShortestDecimal() {
  #expect(JSONValue(float: 0.1).canonicalText == "0.1")
  #expect(JSONValue(float: 1e-7).canonicalText == "1e-07")
  #expect(JSONValue(float: .nan) == .null)
  #expect(JSONValue(double: .infinity) == .null)
  #expect(JSONValue.numberText(-0.0) == "0")
  #expect(JSONValue.numberText(2.5) == "2.5")
}

@Test func prettyTextIsIndentedAndEndsWithNewline() {
  let value = JSONValue.object(["k": .array([.number(1)]), "e": .object([:])])
  #expect(value.prettyText == "{\n  \"e\": {},\n  \"k\": [\n    1\n  ]\n}\n")
}

@Test func parseRoundTripsCanonicalText() throws {
  let text = #"{"a":[true,false,null,-1.5e-3,"\u00e9\ud83d\ude00"],"b":{"c":"d"}}"#
  let value = try JSONValue(parsing: text)
  #expect(value["a"]?.arrayValue?.count == 5)
  #expect(value["a"]?.arrayValue?[4].stringValue == "é😀")
  #expect(try JSONValue(parsing: value.canonicalText) == value)
  #expect(try JSONValue(parsing: value.prettyText) == value)
}

@Test(arguments: [
  ("{\"a\":1,}", 1, 8),
  ("[1,\n 2,\n x]", 3, 2),
  ("{\"a\":1,\"a\":2}", 1, 8),
  ("\"abc", 1, 5),
  ("1 2", 1, 3),
])
func parseErrorsCarryLineAndColumn(text: String, line: Int, column: Int) {
  #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
  do {
    _ = try JSONValue(parsing: text)
  } catch {
    #expect(error.line == line)
    #expect(error.column == column)
  }
}

@Test func accessorsReturnNilForOtherKinds() {
  let value = JSONValue.number(3)
  #expect(value.intValue == 3)
  #expect(JSONValue.number(3.5).intValue == nil)
  #expect(value.stringValue == nil)
  #expect(value["x"] == nil)
}
