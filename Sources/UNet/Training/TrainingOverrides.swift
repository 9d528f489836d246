import Foundation
import Raster

/// What a user chose for a training run, each value nil where not given:
/// the one place where those choices meet a recipe, a model to start from,
/// or a run being resumed.
///
/// `newRun` applies them to the recipe (`recipe`, else `Recipe.default`);
/// `checkResumed` checks them against a resumed run's configuration. Both
/// report a bad value as a `ConfigurationError` and a disagreement as a
/// `SettingConflict`, each naming the setting as this type spells it
/// (`learningRate`, `betas`), which a front end maps to its own names once.
public struct TrainingOverrides: Sendable, Hashable {
  public var recipe: Recipe?
  public var steps: Int?
  public var learningRate: Double?
  public var optimizer: Optimizer.Kind?
  public var momentum: Double?
  public var nesterov: Bool?
  public var weightDecay: Double?
  /// Adam's and AdamW's (β₁, β₂).
  public var betas: Betas?
  public var epsilon: Double?
  public var schedule: LearningRateSchedule?
  public var warmupSteps: Int?
  public var baseChannels: Int?
  public var depth: Int?
  public var classes: Int?
  public var dropout: Double?
  public var normLayer: NormLayer?
  /// A 3-D network's poolings that leave the slice axis alone; nil derives
  /// them from the dataset's spacing (`Architecture.inPlanePoolings(for:depth:)`).
  public var inPlanePoolings: Int?
  public var tile: TileSize?
  public var batch: Int?
  public var seed: UInt64?
  public var shuffleBuffer: Int?

  /// Adam's and AdamW's β₁ and β₂, given together.
  public struct Betas: Sendable, Hashable, CustomStringConvertible {
    public var beta1: Double
    public var beta2: Double
    public init(beta1: Double, beta2: Double) { (self.beta1, self.beta2) = (beta1, beta2) }
    /// `b1,b2`.
    public var description: String { "\(beta1),\(beta2)" }
  }

  public init() {}

  /// The recipe the choices start from.
  public var baseRecipe: Recipe { recipe ?? .default }

  /// The optimiser the choices describe, starting from `base`: `optimizer`
  /// picks the kind (with its defaults when it is not `base`'s), the other
  /// values set its settings.
  /// - Throws: `ConfigurationError` for a setting of another kind (SGD's
  ///   momentum for Adam, Adam's betas for SGD).
  public func optimizer(startingFrom base: Optimizer) throws -> Optimizer {
    let kind = optimizer ?? base.kind
    switch kind == base.kind ? base : kind.defaults {
    case .sgd(let m, let n, let w):
      if let given = betas.map(\.description) ?? epsilon.map({ "\($0)" }) {
        throw ConfigurationError(
          setting: betas != nil ? "betas" : "epsilon", value: given, requirement: "used with the optimizer adam or adamw, not sgd")
      }
      return .sgd(momentum: momentum ?? m, nesterov: nesterov ?? n, weightDecay: weightDecay ?? w)
    case .adam(let b1, let b2, let e, let w), .adamw(let b1, let b2, let e, let w):
      if let given = momentum.map({ "\($0)" }) ?? nesterov.map({ "\($0)" }) {
        throw ConfigurationError(
          setting: momentum != nil ? "momentum" : "nesterov", value: given,
          requirement: "used with the optimizer sgd, not \(kind.rawValue)")
      }
      let (beta1, beta2, e, w) = (betas?.beta1 ?? b1, betas?.beta2 ?? b2, epsilon ?? e, weightDecay ?? w)
      return kind == .adam
        ? .adam(beta1: beta1, beta2: beta2, epsilon: e, weightDecay: w)
        : .adamw(beta1: beta1, beta2: beta2, epsilon: e, weightDecay: w)
    }
  }

  /// The configuration of a new run on `shards`, whose images are
  /// normalised as `normalization`; `spacing` is the voxel spacing of a
  /// dataset of volumes (nil for images), which makes the network 3-D.
  /// With `model` (a run started from trained weights), the network is the
  /// model's, and the choices may only repeat its architecture; its
  /// training tile is the default tile.
  /// - Throws: `ConfigurationError` for a value out of range (the tile
  ///   included), `SettingConflict` for a choice the model contradicts,
  ///   `TrainingError` for a model of other dimensions or spacing than the dataset's.
  public func newRun(
    shards: String, normalization: Normalization? = nil, spacing: VoxelSpacing? = nil,
    model: (architecture: Architecture, tile: TileSize?, spacing: VoxelSpacing?, path: String)? = nil
  ) throws -> TrainingConfiguration {
    let configuration = try unchecked(
      shards: shards, normalization: normalization, spacing: spacing, model: model, optimizerFallback: false)
    if let problem = configuration.problem { throw problem }
    _ = try configuration.architecture.validateTile(configuration.tile)
    return configuration
  }

  /// Checks the values' ranges, without a dataset or a model: what a front
  /// end can check before it opens any file. The tile, whose validity
  /// depends on the depth a model may bring, is left to `newRun`; so are
  /// the optimiser's settings when `resuming` (they are checked against
  /// the run's own optimiser then).
  public func checkRanges(resuming: Bool) throws {
    let volume = tile.map { $0.dimensions == 3 } == true ? VoxelSpacing.unit : nil
    let configuration = try unchecked(
      shards: "", normalization: nil, spacing: volume, model: nil, optimizerFallback: resuming)
    if let problem = configuration.problem { throw problem }
  }

  private func unchecked(
    shards: String, normalization: Normalization?, spacing: VoxelSpacing?,
    model: (architecture: Architecture, tile: TileSize?, spacing: VoxelSpacing?, path: String)?,
    optimizerFallback: Bool
  ) throws -> TrainingConfiguration {
    let r = baseRecipe
    let depth = self.depth ?? r.depth
    var architecture = Architecture(
      inputChannels: 1, classes: classes ?? 2, baseChannels: baseChannels ?? r.baseChannels, depth: depth,
      dropout: dropout ?? r.dropout, normLayer: normLayer ?? r.normLayer, dimensions: spacing == nil ? 2 : 3,
      inPlanePoolings: inPlanePoolings ?? spacing.map { Architecture.inPlanePoolings(for: $0, depth: depth) } ?? 0)
    var tileSize = tile ?? (spacing == nil ? TileSize(square: r.tile) : architecture.defaultVolumeTile)
    if let model {
      let a = model.architecture
      let what = spacing == nil ? "2-D images" : "3-D volumes"
      guard a.dimensions == (spacing == nil ? 2 : 3) else {
        throw TrainingError("the model in \(model.path) is a \(a.dimensions)-D network, but the dataset \(shards) holds \(what)")
      }
      if let spacing, let trained = model.spacing, trained != spacing {
        throw TrainingError(
          "the dataset \(shards) has voxel spacing \(spacing), but the model in \(model.path) was trained at \(trained)")
      }
      try firstConflict(
        [("inPlanePoolings", inPlanePoolings.map { "\($0)" }, "\(a.inPlanePoolings)")], against: .model(model.path))
      try firstConflict(
        [
          ("classes", classes.map { "\($0)" }, "\(a.classes)"),
          ("baseChannels", baseChannels.map { "\($0)" }, "\(a.baseChannels)"),
          ("depth", self.depth.map { "\($0)" }, "\(a.depth)"),
          ("normLayer", normLayer?.rawValue, a.normLayer.rawValue),
        ], against: .model(model.path))
      architecture = a
      architecture.dropout = dropout ?? a.dropout
      tileSize = tile ?? model.tile ?? (spacing == nil ? TileSize(square: r.tile) : a.defaultVolumeTile)
    }
    let optimizer = optimizerFallback ? ((try? self.optimizer(startingFrom: r.optimizer)) ?? r.optimizer) : try self.optimizer(startingFrom: r.optimizer)
    let steps = self.steps ?? r.steps
    return TrainingConfiguration(
      architecture: architecture, tile: tileSize, batch: batch ?? r.batch, steps: steps,
      learningRate: learningRate ?? r.learningRate, optimizer: optimizer, schedule: schedule ?? r.schedule,
      warmupSteps: warmupSteps ?? r.warmup(forSteps: steps), seed: seed ?? 0, shuffleBuffer: shuffleBuffer ?? 16,
      shards: shards, normalization: normalization, spacing: spacing)
  }

  /// Checks that the choices agree with `c`, the configuration of the run
  /// being resumed: its dataset (`shards`, compared as standardised
  /// paths), every value given, the optimiser's settings, and the values
  /// of `recipe` that no choice overrides. `steps` may differ (a new total
  /// trains longer).
  /// - Throws: `SettingConflict` for the first disagreement.
  public func checkResumed(_ c: TrainingConfiguration, shards: String) throws {
    let a = c.architecture
    let o = c.optimizer
    let samePath = (shards as NSString).standardizingPath == (c.shards as NSString).standardizingPath
    var pairs: [(String, String?, String)] = [
      ("shards", samePath ? nil : shards, c.shards),
      ("learningRate", learningRate.map { "\($0)" }, "\(c.learningRate)"),
      ("schedule", schedule?.rawValue, c.schedule.rawValue),
      ("warmupSteps", warmupSteps.map { "\($0)" }, "\(c.warmupSteps)"),
      ("baseChannels", baseChannels.map { "\($0)" }, "\(a.baseChannels)"),
      ("depth", depth.map { "\($0)" }, "\(a.depth)"),
      ("classes", classes.map { "\($0)" }, "\(a.classes)"),
      ("dropout", dropout.map { "\($0)" }, "\(a.dropout)"),
      ("normLayer", normLayer?.rawValue, a.normLayer.rawValue),
      ("inPlanePoolings", inPlanePoolings.map { "\($0)" }, "\(a.inPlanePoolings)"),
      ("tile", tile.map { "\($0)" }, "\(c.tile)"),
      ("batch", batch.map { "\($0)" }, "\(c.batch)"),
      ("seed", seed.map { "\($0)" }, "\(c.seed)"),
      ("shuffleBuffer", shuffleBuffer.map { "\($0)" }, "\(c.shuffleBuffer)"),
      ("optimizer", optimizer?.rawValue, o.name),
      ("momentum", momentum.map { "\($0)" }, o.momentum.map { "\($0)" } ?? o.name),
      ("nesterov", nesterov.map { "\($0)" }, o.nesterov.map { "\($0)" } ?? o.name),
      ("weightDecay", weightDecay.map { "\($0)" }, "\(o.weightDecay)"),
      ("betas", betas?.description, o.betas.map { "\($0.0),\($0.1)" } ?? o.name),
      ("epsilon", epsilon.map { "\($0)" }, o.epsilon.map { "\($0)" } ?? o.name),
    ]
    try firstConflict(pairs, against: .resumedRun)
    guard let recipe else { return }
    let optimizerGiven = optimizer != nil || momentum != nil || nesterov != nil || weightDecay != nil || betas != nil
      || epsilon != nil
    pairs = [
      ("learningRate", learningRate == nil ? "\(recipe.learningRate)" : nil, "\(c.learningRate)"),
      ("optimizer", optimizerGiven ? nil : recipe.optimizer.summary, o.summary),
      ("schedule", schedule == nil ? recipe.schedule.rawValue : nil, c.schedule.rawValue),
      ("baseChannels", baseChannels == nil ? "\(recipe.baseChannels)" : nil, "\(a.baseChannels)"),
      ("depth", depth == nil ? "\(recipe.depth)" : nil, "\(a.depth)"),
      ("dropout", dropout == nil ? "\(recipe.dropout)" : nil, "\(a.dropout)"),
      ("normLayer", normLayer == nil ? recipe.normLayer.rawValue : nil, a.normLayer.rawValue),
      ("tile", tile == nil && a.dimensions == 2 ? "\(recipe.tile)" : nil, "\(c.tile)"),
      ("batch", batch == nil ? "\(recipe.batch)" : nil, "\(c.batch)"),
    ]
    try firstConflict(pairs, against: .resumedRun, recipe: recipe.name)
  }

  private func firstConflict(
    _ pairs: [(setting: String, given: String?, stored: String)], against source: SettingConflict.Source,
    recipe: String? = nil
  ) throws {
    for (setting, given, stored) in pairs {
      if let given, given != stored {
        throw SettingConflict(setting: setting, given: given, stored: stored, source: source, recipe: recipe)
      }
    }
  }
}

/// A choice that contradicts the run being resumed or the model a run
/// starts from. `description` is one line:
/// `learningRate 0.5 differs from the run being resumed (0.0003)`.
public struct SettingConflict: Error, Sendable, Equatable, CustomStringConvertible {
  /// What the choice is checked against.
  public enum Source: Sendable, Equatable {
    case resumedRun
    /// The trained model at this path.
    case model(String)
  }

  /// The setting, as `TrainingOverrides` spells it.
  public let setting: String
  /// The value chosen, as text.
  public let given: String
  /// The value of the run or model, as text.
  public let stored: String
  public let source: Source
  /// The recipe the value comes from, where no choice gave it.
  public let recipe: String?

  public init(setting: String, given: String, stored: String, source: Source, recipe: String? = nil) {
    (self.setting, self.given, self.stored, self.source, self.recipe) = (setting, given, stored, source, recipe)
  }

  /// `the run being resumed`, `the model in PATH`.
  public var against: String {
    switch source {
    case .resumedRun: "the run being resumed"
    case .model(let path): "the model in \(path)"
    }
  }

  public var description: String {
    "\(recipe.map { "recipe \($0) (\(setting))" } ?? setting) \(given) differs from \(against) (\(stored))"
  }
}
