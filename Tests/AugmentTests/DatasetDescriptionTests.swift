import Augment
import Raster
import Shards
import Testing

/// The augmentation settings in a dataset's description read back typed.
@Suite struct AugmentationDescriptionTests {
  @Test func settingsReadBackTyped() throws {
    let settings = try AugmentConfiguration(sigmaPixels: 12, normalization: .range)
    let augmentation = try DatasetDescription.Augmentation(settings)
    #expect(augmentation.normalization == .range)
    // As JSONEncoder writes whole numbers: without a fraction.
    #expect(augmentation.json["sigmaPixels"] == .int(12))
    #expect(try augmentation.decode(AugmentConfiguration.self) == settings)
    let volume = try VolumeAugmentConfiguration(settings, sigmaZ: 4, flipDepth: true)
    #expect(try DatasetDescription.Augmentation(volume).decode(VolumeAugmentConfiguration.self) == volume)
  }
}
