import RasterCore
import Testing

@testable import WeightMap

/// The ignore label (sparse annotation): its voxels are no instance, weigh
/// 0 and are not counted in the class balance; everything else is weighted
/// as if they were background.
@Suite struct IgnoreLabelTests {
  /// Two touching boxes in a 20 x 16 x 8 volume; slices 5–7 unannotated (label 9).
  static func volume() -> LabelVolume {
    var samples = [UInt32](repeating: 0, count: 20 * 16 * 8)
    for z in 0..<8 {
      for y in 3..<12 {
        for x in 2..<18 {
          samples[(z * 16 + y) * 20 + x] = z >= 5 ? 9 : x < 10 ? 1 : 2
        }
      }
      if z >= 5 { for i in (z * 320)..<((z + 1) * 320) { samples[i] = 9 } }
    }
    return LabelVolume(width: 20, height: 16, depth: 8, samples: samples)
  }

  @Test func ignoredVoxelsWeighZeroAndTheRestAsBackground() throws {
    let labels = Self.volume()
    let ignoring = WeightMapper(
      try WeightMapConfiguration(classWeights: .explicit(background: 1, foreground: 2), ignoreLabel: 9))
    let prepared = ignoring.prepare(labels)
    let result = ignoring.weights(for: prepared, classWeights: ClassWeights(background: 1, foreground: 2))
    // The reference: the ignored voxels as background, without an ignore label.
    var background = labels
    background.samples = labels.samples.map { $0 == 9 ? 0 : $0 }
    let plain = WeightMapper(try WeightMapConfiguration(classWeights: .explicit(background: 1, foreground: 2)))
    let expected = plain.weights(for: plain.prepare(background), classWeights: ClassWeights(background: 1, foreground: 2))
    for i in labels.samples.indices {
      if labels.samples[i] == 9 {
        #expect(result.weights.samples[i] == 0 && result.mask.samples[i] == 0 && result.instances.samples[i] == 0)
      } else {
        #expect(result.weights.samples[i] == expected.weights.samples[i], "voxel \(i)")
        #expect(result.mask.samples[i] == expected.mask.samples[i])
      }
    }
    // The balance counts only annotated voxels.
    let ignored = labels.samples.filter { $0 == 9 }.count
    #expect(prepared.counts.total == labels.samples.count - ignored)
    #expect(prepared.counts.foreground == expected.instances.samples.filter { $0 != 0 }.count)
  }

  @Test func theIgnoreLabelMustLieAboveEveryInstance() throws {
    let configuration = try WeightMapConfiguration(ignoreLabel: 2)
    #expect(throws: RasterError.self) { try configuration.checkIgnoreLabel(in: Self.volume().samples, path: "x.tif") }
    do {
      try configuration.checkIgnoreLabel(in: [0, 1, 2, 5], path: "x.tif")
    } catch {
      #expect("\(error)".contains("x.tif") && "\(error)".contains("ignore label 2 is also an instance id"), "\(error)")
    }
    try WeightMapConfiguration(ignoreLabel: 9).checkIgnoreLabel(in: Self.volume().samples, path: "x.tif")
    #expect(throws: ConfigurationError.self) { try WeightMapConfiguration(ignoreLabel: 0) }
  }

  /// A binary mask with an ignore label: its components are numbered
  /// around the ignore label, which stays where it was.
  @Test func normalisingKeepsTheIgnoredVoxels() throws {
    // Three separate foreground pixels (1) and two ignored ones (2).
    let samples: [UInt32] = [1, 0, 1, 0, 2, 0, 1, 2, 0]
    let labels = LabelImage(width: 9, height: 1, samples: samples)
    let normalized = try WeightMapConfiguration(ignoreLabel: 2).normalize(labels)
    #expect(normalized.samples == [1, 0, 3, 0, 2, 0, 4, 2, 0])
  }
}
