import Augment
import Foundation
import Testing

@Suite("Validation")
struct ValidationTests {
  /// Each bad value throws an error naming it, in one line.
  @Test func badValuesAreNamed() {
    func expectBad(_ name: String, _ make: () throws -> AugmentConfig) {
      do {
        _ = try make()
        Issue.record("no error for bad \(name)")
      } catch let error as AugmentConfigError {
        #expect(error.parameter == name)
        #expect(!error.description.contains("\n"))
        #expect(error.description.hasPrefix("invalid \(name) "))
      } catch {
        Issue.record("unexpected error \(error)")
      }
    }
    expectBad("gridSize") { try AugmentConfig(gridSize: 1) }
    expectBad("gridSize") { try AugmentConfig(gridSize: 5000) }
    expectBad("sigmaPixels") { try AugmentConfig(sigmaPixels: -1) }
    expectBad("sigmaPixels") { try AugmentConfig(sigmaPixels: .nan) }
    expectBad("sigmaPixels") { try AugmentConfig(sigmaPixels: .infinity) }
    expectBad("rotateDegrees") { try AugmentConfig(rotateDegrees: 181) }
    expectBad("rotateDegrees") { try AugmentConfig(rotateDegrees: -5) }
    expectBad("rotateDegrees") { try AugmentConfig(rotateDegrees: .nan) }
    expectBad("shiftPixels") { try AugmentConfig(shiftPixels: -2) }
    expectBad("scale") { try AugmentConfig(scale: 0...2) }
    expectBad("scale") { try AugmentConfig(scale: 1...Double.infinity) }
    expectBad("brightness") {
      try AugmentConfig(intensity: IntensityRanges(brightness: -Double.infinity...0))
    }
    expectBad("contrast") { try AugmentConfig(intensity: IntensityRanges(contrast: -1...1)) }
    expectBad("gamma") { try AugmentConfig(intensity: IntensityRanges(gamma: 0...1)) }
    expectBad("noiseSigma") { try AugmentConfig(intensity: IntensityRanges(noiseSigma: -0.1...0.1)) }
    expectBad("percentiles") {
      try AugmentConfig(normalization: .percentile(lowPercent: 50, highPercent: 50))
    }
    expectBad("percentiles") {
      try AugmentConfig(normalization: .percentile(lowPercent: -1, highPercent: 99))
    }
    expectBad("percentiles") {
      try AugmentConfig(normalization: .percentile(lowPercent: 1, highPercent: 100.5))
    }
    #expect(
      (try? AugmentConfig(sigmaPixels: -1)) == nil
        && "\(AugmentConfigError(parameter: "sigmaPixels", value: "-1.0", requirement: "finite and >= 0"))"
          == "invalid sigmaPixels -1.0: must be finite and >= 0"
    )
  }

  /// Good edge values are accepted.
  @Test func edgeValuesAreAccepted() throws {
    _ = try AugmentConfig(gridSize: 2, sigmaPixels: 0, rotateDegrees: 0, shiftPixels: 0)
    _ = try AugmentConfig(rotateDegrees: 180, scale: 1...1)
    _ = try AugmentConfig(normalization: .percentile(lowPercent: 0, highPercent: 100))
    _ = try AugmentConfig(intensity: IntensityRanges(contrast: 0...0, noiseSigma: 0...0))
  }

  /// Decoding validates too.
  @Test func decodingValidates() {
    let json = #"{"sigmaPixels": -3}"#
    #expect(throws: AugmentConfigError.self) {
      try JSONDecoder().decode(AugmentConfig.self, from: Data(json.utf8))
    }
  }
}
