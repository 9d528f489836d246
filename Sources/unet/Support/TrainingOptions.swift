import ArgumentParser
import UNet

/// The network and its tiles, shared by `unet train` and `unet bench`:
/// each option given overrides the recipe's value.
struct NetworkOptions: ParsableArguments {
  @Option(help: "Channels of the first level (default: the recipe's; 16 for default, 64 for paper, the paper's).")
  var baseChannels: Int?

  @Option(help: "Number of poolings (default 4, the paper's).")
  var depth: Int?

  @Option(help: "Output classes (default 2).")
  var classes: Int?

  @Option(help: "Dropout probability at the end of the contracting path (default 0.5).")
  var dropout: Double?

  @Option(help: "Normalisation after each 3x3 convolution: none (the paper's, default) or batch.")
  var normLayer: NormLayer?

  @Option(
    help: ArgumentHelp(
      "Input tile: one size for images (default 572, output 388), WxHxD for volumes (default near 116x116x44).",
      valueName: "size"))
  var tile: TileSize?

  @Option(
    help: """
      3-D: how many of the first poolings leave the slice axis alone (1x2x2 windows); default from the       dataset's voxel spacing (a slice axis is pooled once its spacing is at most twice the in-plane one).
      """)
  var inPlanePoolings: Int?

  @Option(help: "Tiles per step (default 1).")
  var batch: Int?

  /// These options written into `overrides`.
  func apply(to overrides: inout TrainingOverrides) {
    overrides.baseChannels = baseChannels
    overrides.depth = depth
    overrides.classes = classes
    overrides.dropout = dropout
    overrides.normLayer = normLayer
    overrides.tile = tile
    overrides.inPlanePoolings = inPlanePoolings
    overrides.batch = batch
  }
}

/// `--threads`, shared by `unet train` and `unet bench`.
struct ThreadOptions: ParsableArguments {
  @Option(help: "oneDNN threads (default: all cores). Fix it for bit-identical resumes.")
  var threads: Int?

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
  }
}

/// How `unet train` optimises: each option given overrides the recipe's value.
struct OptimizationOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "The recipe the other options start from: paper or default (see the discussion); options given override its values.",
      valueName: "name"))
  var recipe: Recipe?

  @Option(help: "Training steps in total (default \(Recipe.default.steps), --recipe paper \(Recipe.paper.steps); on --resume, a new total to train longer).")
  var steps: Int?

  @Option(help: "Learning rate (default \(Recipe.default.learningRate); --recipe paper \(Recipe.paper.learningRate)).")
  var lr: Double?

  @Option(help: "Optimiser: sgd, adam or adamw (default \(Recipe.default.optimizer.name); --recipe paper \(Recipe.paper.optimizer.name), the paper's).")
  var optimizer: Optimizer.Kind?

  @Option(help: "SGD momentum (default 0.99, the paper's).")
  var momentum: Double?

  @Flag(inversion: .prefixedNo, help: "Nesterov momentum for SGD (PyTorch's rule; default off).")
  var nesterov: Bool?

  @Option(help: "Weight decay: an L2 term for sgd and adam, decoupled for adamw (default 0; adamw 0.01).")
  var weightDecay: Double?

  @Option(help: ArgumentHelp("Adam's and AdamW's beta1,beta2 (default 0.9,0.999).", valueName: "b1,b2"))
  var betas: TrainingOverrides.Betas?

  @Option(help: "Adam's and AdamW's epsilon (default 1e-8).")
  var eps: Double?

  @Option(help: "Learning-rate schedule: constant, cosine, step or poly (default constant).")
  var schedule: LearningRateSchedule?

  @Option(help: "Steps of linear learning-rate warm-up (default 100, or steps/10 when fewer).")
  var warmup: Int?

  @Option(help: "Seed of the initial weights, tile order, crops and dropout (default 0).")
  var seed: UInt64?

  @Option(help: "Shuffle-buffer size in samples (default 16).")
  var shuffleBuffer: Int?

  /// These options written into `overrides`.
  func apply(to overrides: inout TrainingOverrides) {
    overrides.recipe = recipe
    overrides.steps = steps
    overrides.learningRate = lr
    overrides.optimizer = optimizer
    overrides.momentum = momentum
    overrides.nesterov = nesterov
    overrides.weightDecay = weightDecay
    overrides.betas = betas
    overrides.epsilon = eps
    overrides.schedule = schedule
    overrides.warmupSteps = warmup
    overrides.seed = seed
    overrides.shuffleBuffer = shuffleBuffer
  }
}

extension TrainingOverrides.Betas: ExpressibleByArgument {
  /// `B1,B2`.
  public init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, let b1 = Double(parts[0]), let b2 = Double(parts[1]) else { return nil }
    self.init(beta1: b1, beta2: b2)
  }
}

extension Recipe: ExpressibleByArgument {
  public init?(argument: String) {
    guard let recipe = Recipe.named(argument) else { return nil }
    self = recipe
  }

  public static var allValueStrings: [String] { all.map(\.name) }

  public var defaultValueDescription: String { name }
}

extension Optimizer.Kind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension NormLayer: ExpressibleByArgument {}

extension TileSize: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
}
