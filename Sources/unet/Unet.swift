import ArgumentParser

/// The `unet` command: the data work and training of the U-Net paper.
@main
struct Unet: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unet",
    abstract: "U-Net data work: image I/O, weight maps, augmentation, training, prediction, evaluation.",
    discussion: """
      Images are read and written as PNG, TIFF (.tif/.tiff) or NPY, chosen by
      file extension.
      """,
    version: version,
    subcommands: [
      Info.self, Synth.self, Weights.self, AugmentCommand.self, ManifestCommand.self, Train.self, Predict.self,
      Eval.self, Export.self, Report.self, Bench.self,
    ])

  static func main() {
    ThreadWaitPolicy.applyDefault()
    Allocator.keepLargeBuffers()
    main(nil)
  }

  /// The tool's version, recorded in dataset manifests.
  static let version = "0.1.0"
}
