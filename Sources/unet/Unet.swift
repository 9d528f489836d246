import ArgumentParser
import Foundation

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
    Allocator.keepLargeBuffers()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      exit(reporting: error)
    }
  }

  /// Ends the process for `error`, the one place that formats what the
  /// parser and the commands report. Help and the version go to standard
  /// output with status 0. A usage error (an option value that does not
  /// parse, fails a command's `validate()`, or a `ValidationError` from its
  /// work) is one line on standard error, `unet: error: MESSAGE`, naming
  /// the option as typed, and exit status 64 (`unet COMMAND --help` has the
  /// usage). A command's other errors were printed already (`ToolCommand`)
  /// and arrive here as their `ExitCode`.
  static func exit(reporting error: any Error) -> Never {
    let code = exitCode(for: error)
    if code == .success { exit(withError: error) }
    let message = message(for: error).replacingOccurrences(of: "\n", with: " ")
    if !message.isEmpty {
      let text = message.hasPrefix("Error: ") ? String(message.dropFirst("Error: ".count)) : message
      FileHandle.standardError.write(Data("unet: error: \(text)\n".utf8))
    }
    Foundation.exit(code.rawValue)
  }

  /// The tool's version, recorded in dataset manifests.
  static let version = "0.1.0"
}
