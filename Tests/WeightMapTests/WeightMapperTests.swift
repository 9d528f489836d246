import Foundation
import Raster
import Testing
@testable import WeightMap

@Suite("WeightMapper")
struct WeightMapperTests {
  /// Compares a border term with the definition. Stated tolerances: a kept
  /// term is within 1e-6 relative (+1e-7 absolute) of the exact one — Float
  /// rounding (6e-8) and exp; a dropped term (written 0) is below
  /// τ ≤ min(1e-6·w0, 1e-5); and where the exact term exceeds 1e-6·w0 the
  /// error is ≤ 1e-4 absolute (for w0 ≤ 100, see below).
  func expectBorderTerm(
    _ fast: [Float], _ exact: [Double], mapper: WeightMapper, _ note: @autoclosure () -> String
  ) {
    let w0 = mapper.configuration.w0
    let tau = mapper.truncation
    #expect(tau <= 1e-6 * w0 && tau <= 1e-5)
    var worst = 0.0
    for i in exact.indices {
      let f = Double(fast[i])
      let e = exact[i]
      if e > 1e-6 * w0 { worst = max(worst, abs(f - e)) }
      if f == 0 && e > 0 {
        #expect(e < tau, "dropped term \(e) ≥ τ = \(tau) at \(i), \(note())")
      } else {
        #expect(abs(f - e) <= 1e-6 * e + 1e-7, "term \(f) vs exact \(e) at \(i), \(note())")
      }
    }
    // Float32 output: 1e-4 absolute needs terms below ≈ 800 (their ulp);
    // larger w0 are held to the relative bound above.
    if w0 <= 100 { #expect(worst <= 1e-4, "\(note())") }
  }

  static let borderCases: [(w0: Double, sigma: Double)] = [
    (10, 5), (10, 1), (10, 2), (1, 20), (50, 3), (0.5, 0.7), (1e6, 4),
  ]

  @Test(arguments: [BorderRegion.background, .all])
  func borderTermMatchesDefinition(region: BorderRegion) throws {
    var rng = SplitMix64(seed: region == .background ? 10 : 11)
    for trial in 0..<60 {
      let w = Int.random(in: 20...40, using: &rng)
      let h = Int.random(in: 17...40, using: &rng)
      let count = [0, 1, 2, 3, 6, 12].randomElement(using: &rng)!
      var labels = Inputs.blobs(width: w, height: h, count: count, using: &rng)
      if count == 0 { labels = LabelImage(width: w, height: h) }
      let (w0, sigma) = Self.borderCases[trial % Self.borderCases.count]
      let p = try WeightMapConfiguration(
        w0: w0, sigmaPixels: sigma, borderOn: region, labelInterpretation: .instances)
      var mapper = WeightMapper(p)
      mapper.minimumBandRows = [1, 4, 128][trial % 3]
      let separated = Reference.separate(labels)
      let fast = mapper.borderTerm(instances: separated).samples
      let exact = Reference.borderTerm(separated, w0: w0, sigma: sigma, everywhere: region == .all)
      expectBorderTerm(fast, exact, mapper: mapper, "trial \(trial) \(w)x\(h) w0 \(w0) σ \(sigma)")
    }
  }

  /// A larger image (several column-pass bands at the default band height)
  /// of touching cells, against one distance transform per instance.
  @Test(arguments: [BorderRegion.background, .all])
  func largerTessellationMatchesPerInstanceTransforms(region: BorderRegion) throws {
    var rng = SplitMix64(seed: region == .background ? 20 : 21)
    let labels = Inputs.voronoi(width: 203, height: 300, count: 70, using: &rng)
    let mapper = WeightMapper(try WeightMapConfiguration(borderOn: region, labelInterpretation: .instances))
    let separated = Separation.apply(labels)
    let fast = mapper.borderTerm(instances: separated).samples
    let exact = Reference.borderTermByEDT(separated, w0: 10, sigma: 5, everywhere: region == .all)
    expectBorderTerm(fast, exact, mapper: mapper, "203x300 tessellation")
  }

  @Test func windowBoundWithLargeSigma() throws {
    // σ = 20 px, w0 = 1: R ≈ 105 px, larger than the image, so every pixel
    // sees every instance; and σ = 1.5: R ≈ 7.9, so the window cuts.
    for (w0, sigma) in [(1.0, 20.0), (10.0, 1.5)] {
      let p = try WeightMapConfiguration(w0: w0, sigmaPixels: sigma, labelInterpretation: .instances)
      let mapper = WeightMapper(p)
      #expect(abs(mapper.windowRadius - sigma * (2 * log(w0 / mapper.truncation)).squareRoot()) < 1e-12)
      // At d1 + d2 = R the term equals τ.
      let r = mapper.windowRadius
      #expect(abs(w0 * exp(-r * r / (2 * sigma * sigma)) - mapper.truncation) < 1e-9 * mapper.truncation)
      // Two far-apart squares and a pair that nearly touch.
      var labels = LabelImage(width: 60, height: 40)
      for y in 2..<8 { for x in 2..<8 { labels[x, y] = 7 } }
      for y in 30..<37 { for x in 50..<58 { labels[x, y] = 4_000_000_000 } }
      for y in 15..<20 { for x in 20..<25 { labels[x, y] = 1000 } }
      for y in 15..<20 { for x in 27..<31 { labels[x, y] = 3 } }
      let fast = mapper.borderTerm(instances: labels).samples
      let exact = Reference.borderTerm(labels, w0: w0, sigma: sigma, everywhere: false)
      expectBorderTerm(fast, exact, mapper: mapper, "w0 \(w0) σ \(sigma)")
      if sigma > 10 {
        // R exceeds the image: nothing is dropped.
        #expect(zip(fast, exact).allSatisfy { $0 == 0 ? $1 == 0 : true })
      }
    }
  }

  @Test func hugeSigmaGivesTheFullTermEverywhere() throws {
    // σ = 1e300 (R = ∞ after squaring): the term is w0 on every background
    // pixel, and nothing converts ∞ to an integer.
    for sigma in [1e300, Double.greatestFiniteMagnitude] {
      let mapper = WeightMapper(try WeightMapConfiguration(w0: 3, sigmaPixels: sigma, labelInterpretation: .instances))
      var labels = LabelImage(width: 12, height: 9)
      for y in 1..<3 { for x in 1..<4 { labels[x, y] = 1 } }
      for y in 6..<8 { for x in 7..<11 { labels[x, y] = 2 } }
      let term = mapper.borderTerm(instances: labels).samples
      #expect(zip(term, labels.samples).allSatisfy { $1 == 0 ? $0 == 3 : $0 == 0 }, "σ \(sigma)")
      var volume = LabelVolume(
        width: 6, height: 5, depth: 4, spacing: VoxelSpacing(z: 1e300, y: 1, x: 1e-300),
        samples: [UInt32](repeating: 0, count: 120))
      volume.samples[0] = 1
      volume.samples[119] = 2
      let volumeTerm = mapper.borderTerm(instances: volume).samples
      #expect(volumeTerm.count == 120 && volumeTerm.allSatisfy(\.isFinite), "σ \(sigma)")
    }
  }

  @Test func fewerThanTwoInstancesGiveNoBorderTerm() throws {
    let mapper = WeightMapper(try WeightMapConfiguration(classWeights: .uniform))
    let empty = mapper.compute(LabelImage(width: 9, height: 7))
    #expect(empty.weights.samples.allSatisfy { $0 == 1 })
    var one = LabelImage(width: 9, height: 7)
    one[3, 3] = 4_000_000_000
    one[4, 3] = 4_000_000_000
    let r = mapper.compute(one)
    #expect(r.weights.samples.allSatisfy { $0 == 1 })
    #expect(r.mask.samples.filter { $0 == 1 }.count == 2)
  }

  /// The whole map: normalisation, separation, class weights and border
  /// term against the references.
  @Test func weightMapsMatchDefinition() throws {
    var rng = SplitMix64(seed: 12)
    let modes: [ClassWeighting] = [
      .balanced(.image), .balanced(.dataset), .uniform, .explicit(background: 0.25, foreground: 3),
    ]
    for trial in 0..<48 {
      let w = Int.random(in: 20...40, using: &rng)
      let h = Int.random(in: 17...40, using: &rng)
      let labels = Inputs.blobs(width: w, height: h, count: Int.random(in: 0...10, using: &rng), using: &rng)
      let separation = trial % 2 == 0
      let region: BorderRegion = trial % 4 < 2 ? .background : .all
      let mode = modes[trial % modes.count]
      let p = try WeightMapConfiguration(
        w0: 10, sigmaPixels: 5, classWeights: mode, borderOn: region, separation: separation,
        labelInterpretation: .instances)
      let result = WeightMapper(p).compute(labels)

      let instances = separation ? Reference.separate(labels) : labels
      #expect(result.instances == instances)
      #expect(result.mask.samples == instances.samples.map { $0 == 0 ? 0 : 1 })
      let (wc0, wc1): (Double, Double) =
        switch mode {
        case .balanced: Reference.balanced([instances])
        case .uniform: (1, 1)
        case .explicit(let b, let f): (b, f)
        }
      #expect(abs(result.classWeights.background - wc0) <= 1e-12 * wc0)
      #expect(abs(result.classWeights.foreground - wc1) <= 1e-12 * wc1)
      let term = Reference.borderTerm(instances, w0: 10, sigma: 5, everywhere: region == .all)
      for i in term.indices {
        let want = (instances.samples[i] == 0 ? wc0 : wc1) + term[i]
        let got = Double(result.weights.samples[i])
        // 1e-4 where the term exceeds 1e-6·w0, and τ ≤ 1e-6·w0 plus Float
        // rounding of w elsewhere.
        let tolerance = term[i] > 1e-5 ? 1e-4 : 1e-5 + Double(Float(want).ulp)
        #expect(abs(got - want) <= tolerance, "trial \(trial) pixel \(i): \(got) vs \(want)")
      }
    }
  }

  @Test func binaryMasksBecomeComponents() throws {
    // An ISBI-style label: 255 = cell, 0 = membrane.
    let picture: [String] = [
      "###.###",
      "###.###",
      ".......",
      "##.####",
    ]
    let s = picture.joined().map { $0 == "#" ? UInt32(255) : 0 }
    let labels = LabelImage(width: 7, height: 4, samples: s)
    let p = try WeightMapConfiguration(separation: false)
    let prepared = WeightMapper(p).prepare(labels)
    #expect(prepared.instances.samples == [
      1, 1, 1, 0, 2, 2, 2,
      1, 1, 1, 0, 2, 2, 2,
      0, 0, 0, 0, 0, 0, 0,
      3, 3, 0, 4, 4, 4, 4,
    ])
    #expect(prepared.counts == ClassCounts(background: 10, foreground: 18))
    // Instance labels (a value other than 0, 1, 255) are kept as given.
    let inst = LabelImage(width: 3, height: 1, samples: [0, 5, 255])
    #expect(WeightMapper(p).prepare(inst).instances == inst)
    #expect(InstanceLabels.isBinaryMask(LabelImage(width: 2, height: 1, samples: [0, 1])))
    #expect(InstanceLabels.isBinaryMask(LabelImage(width: 2, height: 1, samples: [255, 0])))
    #expect(!InstanceLabels.isBinaryMask(LabelImage(width: 2, height: 1, samples: [1, 255])))
    #expect(
      InstanceLabels.normalize(LabelImage(width: 3, height: 1, samples: [1, 0, 1]), interpretation: .instances)
        .samples == [1, 0, 1])
    #expect(
      InstanceLabels.normalize(LabelImage(width: 3, height: 3, samples: [9, 0, 0, 0, 9, 0, 0, 0, 0]),
        interpretation: .binaryMask, connectivity: .eight).samples == [1, 0, 0, 0, 1, 0, 0, 0, 0])
  }

  @Test func datasetScopeSumsCounts() throws {
    var rng = SplitMix64(seed: 13)
    let images = (0..<4).map { _ in Inputs.blobs(width: 30, height: 25, count: 5, using: &rng) }
    let p = try WeightMapConfiguration(classWeights: .balanced(.dataset), labelInterpretation: .instances)
    let mapper = WeightMapper(p)
    let prepared = images.map(mapper.prepare)
    let total = prepared.reduce(ClassCounts()) { $0 + $1.counts }
    let cw = p.resolvedClassWeights(for: total)
    let ref = Reference.balanced(images.map(Reference.separate))
    #expect(abs(cw.background - ref.0) < 1e-12 && abs(cw.foreground - ref.1) < 1e-12)
    for prep in prepared {
      let r = mapper.weights(for: prep, classWeights: cw)
      #expect(r.classWeights == cw)
      for (w, l) in zip(r.weights.samples, prep.instances.samples) where l != 0 && p.borderOn == .background {
        #expect(w == Float(cw.foreground))
      }
    }
  }

  @Test func balancedWeightsOfEmptyClasses() {
    #expect(ClassCounts(background: 30, foreground: 10).balancedWeights() == ClassWeights(background: 40.0 / 60, foreground: 2))
    #expect(ClassCounts(background: 12, foreground: 0).balancedWeights() == ClassWeights(background: 1, foreground: 1))
    #expect(ClassCounts(background: 0, foreground: 5).balancedWeights() == ClassWeights(background: 1, foreground: 1))
    #expect(ClassCounts().balancedWeights() == ClassWeights(background: 1, foreground: 1))
    var c = ClassCounts(background: 1, foreground: 2)
    c += ClassCounts(labels: LabelImage(width: 2, height: 1, samples: [0, 8]))
    #expect(c == ClassCounts(background: 2, foreground: 3))
  }

  @Test func paperDefaults() {
    let p = WeightMapConfiguration.paper
    #expect(p.w0 == 10 && p.sigmaPixels == 5 && p.separation && p.borderOn == .background)
    #expect(p.classWeights == .balanced(.dataset) && p.connectivity == .four)
    let m = WeightMapper(p)
    #expect(abs(m.truncation - 1e-5) < 1e-18)
    #expect(abs(m.windowRadius - 5 * (2 * log(1e6)).squareRoot()) < 1e-12)
  }

  @Test func zeroW0HasNoBorderTerm() throws {
    var rng = SplitMix64(seed: 14)
    let labels = Inputs.blobs(width: 25, height: 25, count: 6, using: &rng)
    let p = try WeightMapConfiguration(w0: 0, classWeights: .uniform, labelInterpretation: .instances)
    #expect(WeightMapper(p).compute(labels).weights.samples.allSatisfy { $0 == 1 })
  }
}
