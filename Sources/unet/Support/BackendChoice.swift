import ArgumentParser
import UNet

/// The compute backends `unet` can run the network on: the one place that
/// names them. A new backend is a type conforming to `Backend` and a case
/// here.
enum BackendChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
  /// oneDNN on the CPU cores.
  case dnnl

  /// The backend, on `threads` threads (nil: all cores).
  func make(threads: Int?) -> any Backend {
    switch self {
    case .dnnl: DNNLBackend(threads: threads)
    }
  }
}

/// `--backend`, shared by the commands that run the network.
struct BackendOptions: ParsableArguments {
  @Option(help: "Where the network runs: dnnl (oneDNN on the CPU).")
  var backend: BackendChoice = .dnnl
}
