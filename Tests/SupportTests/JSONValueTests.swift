import Foundation
import Testing
import _TestSupport

@testable import _Support

@Suite("JSONValue parsing and deterministic serialization")
struct JSONValueTests {
  static let sample: JSONValue = [
    "seed": .uint(18_446_744_073_709_551_615),
    "sigmaPixels": 10.0,
    "alpha": 0.1,
    "tiny": 1e-05,
    "huge": 1e16,
    "negative": -3,
    "flags": [true, false, nil],
    "name": "quote \" backslash \\ newline \n tab \t bell \u{07} é 😀",
    "nested": ["b": [], "a": [:]],
  ]

  @Test func serializationIsSortedAndStable() {
    let text = Self.sample.serialized()
    #expect(
      text == """
        {
          "alpha": 0.1,
          "flags": [
            true,
            false,
            null
          ],
          "huge": 1e+16,
          "name": "quote \\" backslash \\\\ newline \\n tab \\t bell \\u0007 é 😀",
          "negative": -3,
          "nested": {
            "a": {},
            "b": []
          },
          "seed": 18446744073709551615,
          "sigmaPixels": 10.0,
          "tiny": 1e-05
        }
        """)
    #expect(Self.sample.serialized(indent: 0).hasPrefix("{\"alpha\":0.1,\"flags\":[true,false,null],"))
  }

  @Test func parseRoundTrip() throws {
    for indent in [0, 2, 4] {
      let text = Self.sample.serialized(indent: indent)
      let parsed = try JSONValue.parse(Array(text.utf8))
      #expect(parsed == Self.sample)
      #expect(parsed.serialized(indent: indent) == text)
    }
    // Integral doubles stay doubles; big integers stay exact.
    #expect(try JSONValue.parse(Array("1.0".utf8)) == .double(1))
    #expect(try JSONValue.parse(Array("9223372036854775807".utf8)) == .int(.max))
    #expect(try JSONValue.parse(Array("9223372036854775808".utf8)) == .uint(9_223_372_036_854_775_808))
    #expect(try JSONValue.parse(Array("-1.5E3".utf8)) == .double(-1500))
    #expect(try JSONValue.parse(Array("\"\\u00e9\\ud83d\\ude00\\/\"".utf8)) == "é😀/")
  }

  @Test func pythonParsesWhatWeWrite() throws {
    let script = """
      import json, sys
      value = json.loads(sys.argv[1])
      print(json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False))
      """
    let result = try runPython(["-c", script, Self.sample.serialized()])
    try #require(result.status == 0, "\(result.stderr)")
    #expect(try JSONValue.parse(Array(result.stdout.utf8)) == Self.sample)
  }

  @Test func uintEqualsIntOfTheSameValue() {
    #expect(JSONValue.uint(5) == JSONValue.int(5))
    #expect(JSONValue.integer(5) == .int(5))
    #expect(JSONValue.integer(.max) == .uint(.max))
    #expect(Set([JSONValue.uint(5), .int(5)]).count == 1)
    #expect(JSONValue.double(5) != .int(5))
    #expect(JSONValue.double(0) != .double(-0.0))
  }

  @Test(arguments: [
    ("", "end of the text"), ("{", "expected a string key"), ("[1,]", "expected a value"), ("01", "leading zero"),
    ("1.", "after '.'"), ("\"a\nb\"", "control character"), ("{\"a\":1,\"a\":2}", "duplicate key"),
    ("[1] x", "after the JSON value"), ("\"\\ud800\"", "surrogate"), ("1e999", "out of range"), ("tru", "expected true"),
    ("\"\\x\"", "invalid escape"),
  ])
  func parseErrors(text: String, words: String) throws {
    let error = try #require(throws: JSONError.self) { try JSONValue.parse(Array(text.utf8), path: "m.json") }
    #expect(error.path == "m.json" && error.line == 1)
    #expect(error.description.contains(words), "\(error)")
    #expect(error.description.hasPrefix("m.json: line 1, column "))
  }

  @Test func parseErrorPosition() throws {
    let error = try #require(throws: JSONError.self) { try JSONValue.parse(Array("{\n  \"a\": 1,\n  \"b\" 2\n}".utf8)) }
    #expect(error.description == "line 3, column 7: expected ':' after the key")
    #expect(error.line == 3 && error.column == 7 && error.reason == "expected ':' after the key")
  }

  @Test func invalidUTF8AndDepth() throws {
    let bad = try #require(throws: JSONError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    #expect(bad.description.contains("UTF-8"))
    let deep = try #require(throws: JSONError.self) {
      try JSONValue.parse(Array((String(repeating: "[", count: 300) + String(repeating: "]", count: 300)).utf8))
    }
    #expect(deep.description.contains("nesting"))
  }

  @Test func codableThroughFoundation() throws {
    let value: JSONValue = ["a": [1, "x", true, nil], "b": 2.5, "c": .uint(.max)]
    let data = try JSONEncoder().encode(value)
    #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
  }
}
