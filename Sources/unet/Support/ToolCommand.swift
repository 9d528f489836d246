import ArgumentParser
import Foundation

/// A `unet` subcommand whose failures all end the same way: the error as one
/// line, `unet: error: MESSAGE`, on standard error, and exit status 1. An
/// `ExitCode` passes through as it is: `unet train`'s 130 after Ctrl-C, and
/// the 1 of `unet info` after it has reported each bad file and gone on. A
/// `ValidationError` passes through too: a bad option, found only once the
/// work has begun, is a usage error like those of `validate()` (status 64,
/// `Unet.exit(reporting:)`).
protocol ToolCommand: ParsableCommand {
  /// The command's work.
  func execute() throws
}

extension ToolCommand {
  func run() throws {
    do {
      try execute()
    } catch let exit as ExitCode {
      throw exit
    } catch let usage as ValidationError {
      throw usage
    } catch {
      printError(error)
      throw ExitCode.failure
    }
  }
}

/// Prints `unet: error: MESSAGE` on standard error, one line.
func printError(_ error: any Error) {
  let text = "\(error)".replacingOccurrences(of: "\n", with: " ")
  FileHandle.standardError.write(Data("unet: error: \(text)\n".utf8))
}
