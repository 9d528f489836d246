import Augment
import Raster
import Testing

@Suite("Labels")
struct LabelTests {
  /// Nearest-neighbour labels never gain ids: over many random draws (full
  /// rotation, elastic σ = 10, shifts, flips, scale 0.5…2), every output id
  /// is an input id — or 0 with a constant border.
  @Test(arguments: BorderMode.allCases)
  func labelsNeverGainIds(border: BorderMode) throws {
    var rng = SplitMix64(seed: 31)
    let configuration = try AugmentConfiguration(shiftPixels: 20, scale: 0.5...2, border: border)
    for trial in 0..<60 {
      let (w, h) = (24 + trial % 17, 30 + (trial * 7) % 23)
      // Ids from 7 up, some background, some images without background.
      var labels = Inputs.blobs(width: w, height: h, count: 9, using: &rng)
      if trial % 3 == 0 { labels.samples = labels.samples.map { $0 + 7 } }
      let ids = Set(labels.samples)
      let p = configuration.sample(using: &rng)
      let out = Resampler(border: border).resample(
        Image<Float>(width: w, height: h), labels: labels, values: p)
      let allowed = border == .constant ? ids.union([0]) : ids
      #expect(Set(out.labels.samples).isSubset(of: allowed), "trial \(trial)")
    }
  }

  /// Image/label alignment: a label image passed as the image (as Float),
  /// resampled cubically along the same SamplingMap value as the labels
  /// (nearest), then rounded, agrees with the labels
  /// - everywhere the cubic's 4×4 support holds a single id (there the
  ///   cubic returns that id, and nearest reads one of its taps), and
  /// - on at least 93% of all pixels whose source position is at least 2 px
  ///   inside the image (they differ only near label boundaries, where the
  ///   cubic mixes ids; blobs of radius 4…14 px fill much of 96×80 here).
  @Test func imageAndLabelsAlign() throws {
    var rng = SplitMix64(seed: 32)
    let configuration = try AugmentConfiguration(shiftPixels: 10, scale: 0.8...1.25)
    var agree = 0
    var total = 0
    for _ in 0..<20 {
      let (w, h) = (96, 80)
      let labels = Inputs.blobs(width: w, height: h, count: 12, spread: 10, using: &rng)
      let asImage = Image<Float>(width: w, height: h, samples: labels.samples.map { Float($0) })
      let map = SamplingMap(values: configuration.sample(using: &rng), width: w, height: h)
      let resampler = Resampler()
      let cubic = resampler.resample(asImage, along: map, interpolation: .cubic)
      let nearest = resampler.nearest(labels, along: map)
      for p in 0..<(w * h) {
        let x = map.x[p]
        let y = map.y[p]
        guard x >= 2, y >= 2, x <= Float(w - 3), y <= Float(h - 3) else { continue }
        total += 1
        let same = UInt32(max(0, cubic.samples[p].rounded())) == nearest.samples[p]
        if same { agree += 1 }
        let fx = Int(x.rounded(.down))
        let fy = Int(y.rounded(.down))
        var ids = Set<UInt32>()
        for j in (fy - 1)...(fy + 2) {
          for i in (fx - 1)...(fx + 2) { ids.insert(labels[i, j]) }
        }
        if ids.count == 1 { #expect(same, "uniform support at \(x), \(y)") }
      }
    }
    let fraction = Double(agree) / Double(total)
    #expect(fraction >= 0.93, "agreement \(fraction) over \(total) pixels")
  }
}
