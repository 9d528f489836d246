import ArgumentParser
import UNet

/// `--backend` takes the name of a `BackendChoice` case (`dnnl`).
extension BackendChoice: ExpressibleByArgument {}

/// `--backend`, shared by the commands that run the network.
struct BackendOptions: ParsableArguments {
  @Option(help: "Where the network runs: dnnl (oneDNN on the CPU).")
  var backend: BackendChoice = .default
}
