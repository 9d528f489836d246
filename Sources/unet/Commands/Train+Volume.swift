import ArgumentParser
import Shards

extension Train {
  /// Validation during training scores 2-D images; a run on a dataset of
  /// volumes is scored afterwards (`unet predict --volume`, `unet eval --volume`).
  func checkValidationIsTwoDimensional() throws {
    guard valImages != nil else { return }
    let path = shards + "/" + Manifest.fileName
    if (try? SampleLayout(configuration: Manifest.read(from: path).configuration, path: path)) == .volume {
      throw ValidationError(
        "--val-images: validation during training takes 2-D images; score a 3-D run with unet predict --volume "
          + "and unet eval --volume")
    }
  }
}
