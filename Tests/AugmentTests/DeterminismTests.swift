import Augment
import Foundation
import Raster
import Testing

@Suite("Determinism")
struct DeterminismTests {
  /// Same (seed, index) → the same draw; other indices and seeds → other draws.
  @Test func drawsDependOnSeedAndIndexOnly() throws {
    let configuration = try AugmentConfiguration(shiftPixels: 8, scale: 0.9...1.1)
    let a = configuration.draw(seed: 7, index: 3, sourceCount: 10)
    let b = configuration.draw(seed: 7, index: 3, sourceCount: 10)
    #expect(a == b)
    var seen: Set<DrawnValues> = [a.values]
    for k in 0..<200 where k != 3 {
      let d = configuration.draw(seed: 7, index: UInt64(k), sourceCount: 10)
      #expect(d.index == UInt64(k))
      #expect((0..<10).contains(d.sourceIndex))
      seen.insert(d.values)
    }
    #expect(seen.count == 200)
    #expect(configuration.draw(seed: 8, index: 3, sourceCount: 10).values != a.values)
    // Drawing order does not matter: index 3 drawn after others is the same.
    #expect(configuration.draw(seed: 7, index: 3, sourceCount: 10) == a)
  }

  /// Source indices cover all sources about evenly.
  @Test func sourceIndicesSpread() {
    var counts = [Int](repeating: 0, count: 5)
    for k in 0..<5000 {
      counts[AugmentConfiguration.standard.draw(seed: 1, index: UInt64(k), sourceCount: 5).sourceIndex] += 1
    }
    #expect(counts.allSatisfy { (900...1100).contains($0) }, "\(counts)")
  }

  /// The same values give identical outputs; different ones differ.
  @Test func outputsAreReproducible() throws {
    var rng = SplitMix64(seed: 41)
    let image = Inputs.smooth(width: 48, height: 40, channels: 2)
    let labels = Inputs.blobs(width: 48, height: 40, count: 8, using: &rng)
    let augmenter = SampleAugmenter()
    let p = AugmentConfiguration.standard.draw(seed: 99, index: 0, sourceCount: 1).values
    let q = AugmentConfiguration.standard.draw(seed: 99, index: 1, sourceCount: 1).values
    let s1 = augmenter.augment(image: image, labels: labels, values: p)
    let s2 = augmenter.augment(image: image, labels: labels, values: p)
    #expect(s1 == s2)
    #expect(augmenter.augment(image: image, labels: labels, values: q).image != s1.image)
    // Along a stored map: the same sample.
    let map = SamplingMap(values: p, width: 48, height: 40)
    #expect(augmenter.augment(image: image, labels: labels, map: map, intensity: p.intensity) == s1)
  }

  /// Parameters, draws and configurations round-trip through JSON exactly.
  @Test func jsonRoundTrip() throws {
    let configuration = try AugmentConfiguration(
      gridSize: 4, sigmaPixels: 7.5, rotateDegrees: 33, shiftPixels: 3, flipVertical: false,
      scale: 0.75...1.5, interpolation: .linear, border: .constant,
      intensity: IntensityRanges(brightness: -0.1...0.1, noiseSigma: 0...0.05),
      normalization: .percentile(lowPercent: 2, highPercent: 99), weights: .warp)
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    for k in 0..<50 {
      let draw = configuration.draw(seed: 12345, index: UInt64(k), sourceCount: 3)
      let data = try encoder.encode(draw)
      #expect(try decoder.decode(SampleDraw.self, from: data) == draw)
      let p = try decoder.decode(DrawnValues.self, from: encoder.encode(draw.values))
      #expect(p == draw.values)
    }
    #expect(try decoder.decode(AugmentConfiguration.self, from: encoder.encode(configuration)) == configuration)
    for normalization in [Normalization.standard, .range, .none] {
      #expect(try decoder.decode(Normalization.self, from: encoder.encode(normalization)) == normalization)
    }
    // Missing keys take their defaults.
    #expect(try decoder.decode(AugmentConfiguration.self, from: Data("{}".utf8)) == .standard)
    // Large noise seeds survive.
    let values = IntensityValues(noiseSigma: 0.1, noiseSeed: .max - 12)
    #expect(try decoder.decode(IntensityValues.self, from: encoder.encode(values)) == values)
  }

  /// A decoded grid is checked.
  @Test func badGridDoesNotDecode() {
    let json = #"{"size": 3, "x": [1, 2], "y": [1, 2]}"#
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(DisplacementGrid.self, from: Data(json.utf8))
    }
  }

  /// The identity configuration draws the identity.
  @Test func identityConfigDrawsIdentity() {
    var rng = SplitMix64(seed: 3)
    for _ in 0..<10 {
      #expect(AugmentConfiguration.identity.sample(using: &rng) == DrawnValues(grid: .zero(size: 3)))
    }
  }

  /// Draws stay in their ranges.
  @Test func drawsStayInRanges() throws {
    let configuration = try AugmentConfiguration(
      sigmaPixels: 4, rotateDegrees: 30, shiftPixels: 5, scale: 0.8...1.2,
      intensity: IntensityRanges(
        brightness: -0.2...0.1, contrast: 0.5...1.5, gamma: 0.7...1.3, noiseSigma: 0.01...0.02))
    var rng = SplitMix64(seed: 4)
    var flips = 0
    for _ in 0..<500 {
      let p = configuration.sample(using: &rng)
      #expect(p.rotationDegrees >= -30 && p.rotationDegrees < 30)
      #expect(abs(p.shiftX) <= 5 && abs(p.shiftY) <= 5)
      #expect((0.8...1.2).contains(p.scale))
      #expect((-0.2...0.1).contains(p.intensity.brightness))
      #expect((0.5...1.5).contains(p.intensity.contrast))
      #expect((0.7...1.3).contains(p.intensity.gamma))
      #expect((0.01...0.02).contains(p.intensity.noiseSigma))
      #expect(p.grid.size == 3 && p.grid.x.allSatisfy { abs($0) < 40 })
      if p.flipHorizontal { flips += 1 }
    }
    #expect((200...300).contains(flips))
  }
}

extension DeterminismTests {
  /// The JSON of drawn values names every value (a record a person can read).
  @Test func jsonNamesEveryValue() throws {
    let p = AugmentConfiguration.standard.draw(seed: 1, index: 2, sourceCount: 1).values
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(p), as: UTF8.self)
    for key in [
      "grid", "size", "rotationDegrees", "shiftX", "shiftY", "flipHorizontal", "flipVertical", "scale",
      "intensity", "brightness", "contrast", "gamma", "noiseSigma", "noiseSeed",
    ] {
      #expect(json.contains("\"\(key)\""), "\(key) missing in \(json)")
    }
  }
}

extension DeterminismTests {
  /// Decoded values are checked (a bad record cannot reach the map).
  @Test func badParametersDoNotDecode() throws {
    let good = try JSONEncoder().encode(DrawnValues.identity)
    var object = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
    object["scale"] = 0
    let bad = try JSONSerialization.data(withJSONObject: object)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(DrawnValues.self, from: bad) }
  }
}
