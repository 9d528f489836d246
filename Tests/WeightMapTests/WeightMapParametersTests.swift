import Testing
import WeightMap

@Suite("WeightMapParameters")
struct WeightMapParametersTests {
  @Test(arguments: [
    (-1.0, 5.0, "w0"), (.nan, 5.0, "w0"), (.infinity, 5.0, "w0"),
    (10.0, 0.0, "sigmaPixels"), (10.0, -2.0, "sigmaPixels"), (10.0, .nan, "sigmaPixels"),
    (10.0, .infinity, "sigmaPixels"),
  ])
  func rejectsBadBorderValues(w0: Double, sigma: Double, name: String) {
    #expect {
      try WeightMapParameters(w0: w0, sigmaPixels: sigma)
    } throws: { error in
      guard let e = error as? WeightMapParameterError else { return false }
      let line = e.description
      return e.parameter == name && line.contains(name) && line.contains("\(name == "w0" ? w0 : sigma)")
        && !line.contains("\n")
    }
  }

  @Test(arguments: [(-1.0, 1.0), (1.0, -0.5), (.nan, 1.0), (1.0, .infinity)])
  func rejectsBadClassWeights(background: Double, foreground: Double) {
    #expect(throws: WeightMapParameterError.self) {
      try WeightMapParameters(classWeights: .explicit(background: background, foreground: foreground))
    }
  }

  @Test func errorDescriptionNamesTheValue() {
    do {
      _ = try WeightMapParameters(sigmaPixels: -3)
      Issue.record("no error")
    } catch {
      #expect(String(describing: error) == "invalid sigmaPixels -3.0: must be finite and > 0")
    }
  }

  @Test func acceptsBoundaryValues() throws {
    _ = try WeightMapParameters(w0: 0, sigmaPixels: 1e-3)
    _ = try WeightMapParameters(classWeights: .explicit(background: 0, foreground: 0))
  }
}
