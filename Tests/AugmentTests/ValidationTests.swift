import Augment
import Foundation
import Testing

@Suite("Validation")
struct ValidationTests {
  /// Each bad value throws an error naming it, in one line.
  @Test func badValuesAreNamed() {
    func expectBad(_ name: String, _ make: () throws -> AugmentConfiguration) {
      do {
        _ = try make()
        Issue.record("no error for bad \(name)")
      } catch let error as ConfigurationError {
        #expect(error.setting == name)
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("invalid \(name) "))
      } catch {
        Issue.record("unexpected error \(error)")
      }
    }
    expectBad("gridSize") { try AugmentConfiguration(gridSize: 1) }
    expectBad("gridSize") { try AugmentConfiguration(gridSize: 5000) }
    expectBad("sigmaPixels") { try AugmentConfiguration(sigmaPixels: -1) }
    expectBad("sigmaPixels") { try AugmentConfiguration(sigmaPixels: .nan) }
    expectBad("sigmaPixels") { try AugmentConfiguration(sigmaPixels: .infinity) }
    expectBad("rotateDegrees") { try AugmentConfiguration(rotateDegrees: 181) }
    expectBad("rotateDegrees") { try AugmentConfiguration(rotateDegrees: -5) }
    expectBad("rotateDegrees") { try AugmentConfiguration(rotateDegrees: .nan) }
    expectBad("shiftPixels") { try AugmentConfiguration(shiftPixels: -2) }
    expectBad("scale") { try AugmentConfiguration(scale: 0...2) }
    expectBad("scale") { try AugmentConfiguration(scale: 1...Double.infinity) }
    expectBad("brightness") {
      try AugmentConfiguration(intensity: IntensityRanges(brightness: -Double.infinity...0))
    }
    expectBad("contrast") { try AugmentConfiguration(intensity: IntensityRanges(contrast: -1...1)) }
    expectBad("gamma") { try AugmentConfiguration(intensity: IntensityRanges(gamma: 0...1)) }
    expectBad("noiseSigma") { try AugmentConfiguration(intensity: IntensityRanges(noiseSigma: -0.1...0.1)) }
    expectBad("percentiles") {
      try AugmentConfiguration(normalization: .percentile(lowPercent: 50, highPercent: 50))
    }
    expectBad("percentiles") {
      try AugmentConfiguration(normalization: .percentile(lowPercent: -1, highPercent: 99))
    }
    expectBad("percentiles") {
      try AugmentConfiguration(normalization: .percentile(lowPercent: 1, highPercent: 100.5))
    }
    #expect(
      (try? AugmentConfiguration(sigmaPixels: -1)) == nil
        && "\(ConfigurationError(setting: "sigmaPixels", value: "-1.0", requirement: "finite and >= 0"))"
          == "invalid sigmaPixels -1.0: must be finite and >= 0"
    )
  }

  /// Good edge values are accepted.
  @Test func edgeValuesAreAccepted() throws {
    _ = try AugmentConfiguration(gridSize: 2, sigmaPixels: 0, rotateDegrees: 0, shiftPixels: 0)
    _ = try AugmentConfiguration(rotateDegrees: 180, scale: 1...1)
    _ = try AugmentConfiguration(normalization: .percentile(lowPercent: 0, highPercent: 100))
    _ = try AugmentConfiguration(intensity: IntensityRanges(contrast: 0...0, noiseSigma: 0...0))
  }

  /// Decoding validates too.
  @Test func decodingValidates() {
    let json = #"{"sigmaPixels": -3}"#
    #expect(throws: ConfigurationError.self) {
      try JSONDecoder().decode(AugmentConfiguration.self, from: Data(json.utf8))
    }
  }
}
