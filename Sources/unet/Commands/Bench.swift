import ArgumentParser
import Foundation
import Raster
@_spi(Diagnostics) import UNet

/// `unet bench`: how fast this machine trains a U-Net, and with which kernels.
struct Bench: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time U-Net training steps on this machine and list the kernels oneDNN chose.",
    discussion: """
      Compiles the network for one tile and batch, then runs training steps
      (forward, weighted softmax cross-entropy, backward, SGD with momentum
      0.99) on random data from --seed, and prints the median step time, the
      throughput and the peak memory. The defaults are the paper's network
      (572 tile, 64 base channels, depth 4: --recipe paper); the main job's
      is --tile 188 --base-channels 16 --depth 3. The network options are
      unet train's, over the recipe's values. --norm-layer batch adds batch
      normalisation after each 3x3 convolution, as unet train does.

      Every primitive that runs in a step is listed with the implementation
      oneDNN chose (--kernels). A reference implementation ("ref:...") is
      10-1000x slower than a JIT one; UNetKit chooses layouts that avoid
      them, and bench exits with status 3 if one is left.
      ONEDNN_MAX_CPU_ISA=AVX2 (or SSE41) makes oneDNN behave as on a CPU
      without AVX-512 (or AVX2).

      --gradients FILE writes the loss and every parameter gradient of the
      first step, from the seed's initial weights, as .safetensors (loss as
      the tensor "loss"), to compare machines or instruction sets.
      """)

  @Option(help: ArgumentHelp("The recipe whose network and tile the options below start from.", valueName: "name"))
  var recipe: Recipe = .paper

  @OptionGroup var network: NetworkOptions

  @Option(help: "Timed training steps (the median is reported); 0 with --warmup 0 only compiles.")
  var steps = 3

  @Option(help: "Untimed steps before them.")
  var warmup = 1

  @Option(help: "Seed of the weights and the random data.")
  var seed: UInt64 = 0

  @OptionGroup var threads: ThreadOptions

  @OptionGroup var backend: BackendOptions

  @Option(
    help: """
      How 3x3 weight gradients are computed: automatic (gemm below AVX-512), primitive (oneDNN's \
      weight-gradient kernel) or gemm (nine matrix products per image).
      """)
  var weightGradient: DNNLBackend.WeightGradient = .automatic

  @Flag(help: "List every primitive of a step with its implementation.")
  var kernels = false

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @Option(help: "Write the first step's loss and gradients to this .safetensors file.")
  var gradients: String?

  /// The network, tile and batch the options choose, over the recipe's.
  var overrides: TrainingOverrides {
    var overrides = TrainingOverrides()
    overrides.recipe = recipe
    network.apply(to: &overrides)
    return overrides
  }

  func validate() throws {
    for (name, value) in [("--steps", steps), ("--warmup", warmup)] where value < 0 {
      throw ValidationError("\(name) must be at least 0, got \(value)")
    }
    if gradients != nil, steps + warmup == 0 { throw ValidationError("--gradients needs a step: --steps or --warmup above 0") }
    try OptionNames.training.checking { try overrides.checkRanges(resuming: false) }
  }

  func execute() throws {
    // A 3-D tile benchmarks the 3-D network, at unit voxel spacing unless
    // --in-plane-poolings says otherwise.
    let spacing = network.tile?.dimensions == 3 ? VoxelSpacing.unit : nil
    let report = try OptionNames.training.checking { try measure(overrides.newRun(shards: "", spacing: spacing)) }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
    } else {
      print(
        "bench: \(report.backend); tile \(report.tile) -> \(report.outputSize), \(report.baseChannels) base channels, "
          + "depth \(report.depth), batch \(report.batch)\(report.normLayer == .batch ? ", batch norm" : "")")
      print(kernels ? KernelList(report.kernels).description : KernelList(report.kernels).summary)
      if steps > 0 {
        print(
        String(
          format: "step: median %.3f s (min %.3f s) over %ld steps, %.0f GFLOP/s; compile %.2f s; peak memory %ld MiB",
          report.stepSeconds, report.minSeconds, steps, report.gflopPerStep / report.stepSeconds, report.compileSeconds,
          report.peakMemoryMiB))
      }
    }
    if report.kernels.contains(where: \.isReference) { throw ExitCode(3) }
  }

  struct Report: Codable {
    var backend: String
    var isa: String
    var threads: Int
    var tile: TileSize
    var outputSize: TileSize
    var baseChannels: Int
    var depth: Int
    var normLayer: NormLayer
    var batch: Int
    var loss: Double
    var stepSeconds: Double
    var minSeconds: Double
    var compileSeconds: Double
    var gflopPerStep: Double
    var peakMemoryMiB: Int
    /// The memory a step works in (`CompiledGraph.workspaceBytes`), and
    /// the bytes of the weights (as many again for their gradients and for
    /// each optimiser slot).
    var arenaBytes: Int
    var scratchBytes: Int
    var bufferBytes: Int
    var libraryScratchBytes: Int
    var parameterBytes: Int
    var kernels: [Kernel]
  }

  private func measure(_ configuration: TrainingConfiguration) throws -> Report {
    let (architecture, tile, batch, classes) = (
      configuration.architecture, configuration.tile, configuration.batch, configuration.architecture.classes
    )
    let output = try architecture.validateTile(tile)
    let backend = self.backend.backend.make(threads: threads.threads, weightGradient: weightGradient)
    let start = Date()
    let network = try backend.compile(architecture.graph, batch: batch, input: tile.extent, training: true)
    let parameters = architecture.initialParameters(seed: seed)
    network.setParameters(parameters)
    let compileSeconds = Date().timeIntervalSince(start)

    var rng = SplitMix64(seed: seed, stream: 1)
    let outputCount = output.reduce(1, *)
    let input = (0..<batch * tile.count).map { _ in Float(rng.gaussian()) }
    let labels = (0..<batch * outputCount).map { _ in Int32(rng.next() % UInt64(classes)) }
    let weights = (0..<batch * outputCount).map { _ in Float(0.5 + rng.unit()) }

    var times: [Double] = []
    var firstLoss = 0.0
    for step in 0..<(warmup + steps) {
      let t0 = Date()
      let logits = try network.forward(input, dropoutSeed: UInt64(step))
      let (loss, gradient) = WeightedCrossEntropy.evaluate(
        logits: logits, labels: labels, weights: weights, classes: classes, batch: batch)
      try network.backward(gradient)
      if step == 0 {
        firstLoss = loss
        if let gradients { try writeGradients(network.gradients(), loss: loss, architecture: architecture, to: gradients) }
      }
      try network.update(.paper, learningRate: 0.001, step: step + 1)
      if step >= warmup { times.append(Date().timeIntervalSince(t0)) }
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let sorted = times.sorted()
    let workspace = network.workspaceBytes
    let median = sorted.isEmpty ? 0 : sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    return Report(
      backend: backend.name, isa: backend.isa, threads: backend.threads, tile: tile, outputSize: TileSize(output),
      baseChannels: architecture.baseChannels, depth: architecture.depth, normLayer: architecture.normLayer, batch: batch, loss: firstLoss, stepSeconds: median,
      minSeconds: sorted.first ?? 0, compileSeconds: compileSeconds,
      gflopPerStep: 3 * architecture.graph.forwardFLOPs(input: tile.extent, batch: batch) / 1e9,
      peakMemoryMiB: Int(usage.ru_maxrss / 1024), arenaBytes: workspace.arena, scratchBytes: workspace.scratch,
      bufferBytes: workspace.buffers, libraryScratchBytes: workspace.library, parameterBytes: 4 * architecture.parameterSpecs.reduce(0) { $0 + $1.count }, kernels: network.kernels)
  }

  private func writeGradients(_ gradients: [[Float]], loss: Double, architecture: Architecture, to path: String) throws {
    let tensors = zip(architecture.parameterSpecs, gradients).map {
      SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: $1)
    }
    let file = SafeTensors(
      metadata: ["format": "unetkit-gradients"],
      tensors: [SafeTensors.Tensor(name: "loss", shape: [1], values: [Float(loss)])] + tensors)
    try file.write(to: path)
  }
}

extension DNNLBackend.WeightGradient: ExpressibleByArgument {}
