import Foundation
import Testing
import WeightMap

@Suite("WeightMapConfiguration")
struct WeightMapConfigurationTests {
  @Test(arguments: [
    (-1.0, 5.0, "w0"), (.nan, 5.0, "w0"), (.infinity, 5.0, "w0"),
    (10.0, 0.0, "sigmaPixels"), (10.0, -2.0, "sigmaPixels"), (10.0, .nan, "sigmaPixels"),
    (10.0, .infinity, "sigmaPixels"),
  ])
  func rejectsBadBorderValues(w0: Double, sigma: Double, name: String) {
    #expect {
      try WeightMapConfiguration(w0: w0, sigmaPixels: sigma)
    } throws: { error in
      guard let e = error as? ConfigurationError else { return false }
      let line = e.description
      return e.setting == name && line.contains(name) && line.contains("\(name == "w0" ? w0 : sigma)")
        && !line.contains("\n")
    }
  }

  @Test(arguments: [(-1.0, 1.0), (1.0, -0.5), (.nan, 1.0), (1.0, .infinity)])
  func rejectsBadClassWeights(background: Double, foreground: Double) {
    #expect(throws: ConfigurationError.self) {
      try WeightMapConfiguration(classWeights: .explicit(background: background, foreground: foreground))
    }
  }

  @Test func errorDescriptionNamesTheValue() {
    do {
      _ = try WeightMapConfiguration(sigmaPixels: -3)
      Issue.record("no error")
    } catch {
      #expect(String(describing: error) == "invalid sigmaPixels -3.0: must be finite and > 0")
    }
  }

  @Test func acceptsBoundaryValues() throws {
    _ = try WeightMapConfiguration(w0: 0, sigmaPixels: 1e-3)
    _ = try WeightMapConfiguration(classWeights: .explicit(background: 0, foreground: 0))
  }
}

@Suite("WeightMapConfiguration as JSON")
struct WeightMapConfigurationCodingTests {
  static let all: [WeightMapConfiguration] = [
    .paper,
    try! WeightMapConfiguration(classWeights: .balanced(.image)),
    try! WeightMapConfiguration(w0: 12, sigmaPixels: 3.5, classWeights: .uniform, borderOn: .all, separation: false),
    try! WeightMapConfiguration(
      classWeights: .explicit(background: 1, foreground: 2.5), labelInterpretation: .instances, connectivity: .eight),
  ]

  @Test func roundTrip() throws {
    for p in Self.all {
      let back = try JSONDecoder().decode(WeightMapConfiguration.self, from: try JSONEncoder().encode(p))
      #expect(back == p)
    }
  }

  /// The keys and values a manifest's `weightMap` holds (the manifest's
  /// bytes are pinned by UnetCLITests' ManifestBytesTests).
  @Test func manifestForm() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func text(_ p: WeightMapConfiguration) throws -> String { String(decoding: try encoder.encode(p), as: UTF8.self) }
    #expect(
      try text(.paper)
        == #"{"borderOn":"background","classWeights":{"balanced":"dataset"},"connectivity":"four","separation":true,"sigmaPixels":5,"w0":10}"#)
    #expect(try text(Self.all[2]).contains(#""classWeights":"none""#))
    #expect(try text(Self.all[3]).contains(#""classWeights":[1,2.5]"#))
    #expect(try text(Self.all[3]).contains(#""labelInterpretation":"instances""#))
  }

  @Test func badValuesAreRefused() throws {
    for json in [#"{"w0": -1}"#, #"{"sigmaPixels": 0}"#, #"{"classWeights": [1, -2]}"#, #"{"classWeights": "sometimes"}"#] {
      #expect(throws: DecodingError.self, "\(json)") {
        try JSONDecoder().decode(WeightMapConfiguration.self, from: Data(json.utf8))
      }
    }
    #expect(try JSONDecoder().decode(WeightMapConfiguration.self, from: Data("{}".utf8)) == .paper)
  }
}
