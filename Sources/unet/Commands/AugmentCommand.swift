import ArgumentParser
import Augment
import Foundation
import Raster
import Shards
import WeightMap

/// `unet augment`: augmented samples of images and labels, written as
/// WebDataset shards with a checksummed manifest.
struct AugmentCommand: ToolCommand {
  static let configuration = CommandConfiguration(
    commandName: "augment",
    abstract: "Write augmented samples (elastic 3x3 grid, affine, gray values) as WebDataset shards.",
    discussion: """
      Each sample k draws its source image and every parameter from (seed, k)
      alone, builds one sampling map, and resamples image (cubic), labels and
      mask (nearest) and weights from the source once. Shards
      OUT/NAME-000000.tar, ... hold per sample KEY.image.npy (float32),
      KEY.mask.png, KEY.labels.npy (uint32), KEY.weight.npy (float32) and
      KEY.json (source and drawn parameters); OUT/manifest.json lists every
      shard with its SHA-256. Images and labels pair by file name without
      extension; all sources are read and checked before any shard is written.
      Partitioned runs (--shard-index/--num-shards, or SLURM_ARRAY_TASK_ID,
      or JOB_COMPLETION_INDEX with --num-shards) write their share of the
      shards under the same names; `unet manifest merge OUT` joins them.

      With --volume every image and label file is one volume (a multi-page
      TIFF z-stack or an NPY (D, H, W)): a 3 x 3 x 3 grid (--grid) of
      displacements with --elastic-sigma voxels along x and y and
      --elastic-sigma-z along z,
      tricubic interpolation, rotation about z, flips of x, y and z, scale,
      shift on each axis, gray values; labels and mask nearest. Samples hold
      KEY.image.npy, KEY.mask.npy (uint8), KEY.labels.npy (uint32) and
      KEY.weight.npy, all (D, H, W); the manifest records "dimensions": 3,
      the spacing (Z,Y,X and unit) and the weight map's σ in that unit. All
      sources must share one spacing. unet train does not take 3-D datasets.
      """)

  @Option(help: "Source images: a file, a folder or a quoted glob pattern.")
  var images: String

  @Option(help: "Source labels (instance ids or a binary mask), paired with the images by name.")
  var labels: String

  @Option(help: "Output folder.")
  var out: String

  @Option(help: "Number of samples to generate.")
  var samples: Int

  @Option(help: "Samples per shard.")
  var perShard: Int = 100

  @Option(help: "Shard name prefix.")
  var name: String = "train"

  @Option(help: "Random seed.")
  var seed: UInt64 = 0

  @OptionGroup(title: "Geometry") var geometry: GeometryOptions
  @OptionGroup(title: "Gray values") var grayValues: GrayValueOptions
  @OptionGroup(title: "Weights") var weightOptions: SampleWeightOptions

  @Flag(help: "Do not store KEY.labels.npy.")
  var noLabels = false

  @Option(help: "Write OUT/preview.png with the first K samples: source | augmented | mask | weights.")
  var preview: Int?

  @Option(help: "Samples processed at once (default: all cores).")
  var jobs: Int?

  @Option(help: "This process's partition of the shards, 0-based (needs --num-shards).")
  var shardIndex: Int?

  @Option(help: "Number of partitions the shards are split into.")
  var numShards: Int?

  @Flag(help: "Keep complete, verified shards already in OUT and write the rest.")
  var resume = false

  @OptionGroup(title: "Volumes") var volume: VolumeOptions

  @Option(help: "With --volume: σ of the z displacements, in voxels (default: --elastic-sigma's physical length, σ·x-spacing/z-spacing).")
  var elasticSigmaZ: Double?

  @OptionGroup var limits: LimitOptions

  func augmentConfiguration() throws -> AugmentConfiguration {
    try OptionNames.augment.checking {
      try AugmentConfiguration(
        gridSize: geometry.grid, sigmaPixels: geometry.sigma, rotateDegrees: geometry.rotate,
        shiftPixels: geometry.shift, flipHorizontal: !geometry.noFlip, flipVertical: !geometry.noFlip,
        scale: geometry.scale?.range, interpolation: geometry.interpolation.value, border: geometry.border,
        intensity: grayValues.ranges, normalization: grayValues.normalize.value, weights: weightOptions.weights)
    }
  }

  func validate() throws {
    _ = try augmentConfiguration()
    _ = try weightOptions.weightMapConfiguration()
    guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
    guard perShard >= 1 else { throw ValidationError("--per-shard must be at least 1, got \(perShard)") }
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if let preview, preview < 1 { throw ValidationError("--preview must be at least 1, got \(preview)") }
    if let problem = ShardPlan.nameProblem(name) { throw ValidationError("--name '\(name)': \(problem)") }
    if let sigmaZ = elasticSigmaZ {
      guard volume.volume else { throw ValidationError("--elastic-sigma-z applies to volumes; add --volume") }
      guard sigmaZ.isFinite, sigmaZ >= 0 else {
        throw ValidationError("--elastic-sigma-z \(sigmaZ): must be finite and >= 0")
      }
    }
  }

  func execute() throws {
    try generate()
  }

  func generate() throws {
    let start = Date()
    let configuration = try augmentConfiguration()
    let mapper = WeightMapper(try weightOptions.weightMapConfiguration())
    let jobs = self.jobs ?? availableCores
    let partition = try Partition.resolve(
      shardIndex: shardIndex, numShards: numShards, environment: ProcessInfo.processInfo.environment)
    let plan = try ShardPlan(name: name, totalSamples: samples, samplesPerShard: perShard)
    let owned = plan.shards(ownedBy: partition).reduce(0) { $0 + plan.sampleRange(ofShard: $1).count }
    let progress = ProgressBar(total: owned, label: "augment")
    let tool = ToolInfo(name: "unet", version: Unet.version)

    // Every source is read and checked before anything is written.
    let pairs = try SourcePair.pair(images: images, labels: labels)
    /// Writes `dataset` (after checking the output folder) and its preview.
    func write<D: ShardedDataset>(_ dataset: D, preview writePreview: (D) throws -> Void) throws -> DatasetWriter.Report {
      try checkOutputFolder(partition: partition)
      let report = try dataset.write(
        to: out, samples: samples, perShard: perShard, name: name, partition: partition, tool: tool, jobs: jobs,
        progress: progress.advance)
      if preview != nil, partition.index == 0 { try writePreview(dataset) }
      return report
    }
    let count = min(preview ?? 0, samples)
    let report: DatasetWriter.Report
    if volume.volume {
      let sources = try VolumeSourceSet.load(
        pairs, normalization: configuration.normalization, weightMapper: mapper, warp: configuration.weights == .warp,
        limits: limits.readLimits, spacing: volume.override, jobs: jobs)
      let s = sources.spacing
      let volumeConfiguration = try OptionNames.augment.checking {
        try VolumeAugmentConfiguration(configuration, sigmaZ: elasticSigmaZ ?? configuration.sigmaPixels * s.x / s.z)
      }
      report = try write(
        AugmentedDataset(sources: sources, configuration: volumeConfiguration, weightMapper: mapper, seed: seed, keepLabels: !noLabels)
      ) { try writePreview(count: count, dataset: $0) }
    } else {
      let sources = try StackHint.adding(StackHint.volume) {
        try SourceSet.load(
          pairs, normalization: configuration.normalization, weightMapper: mapper, warp: configuration.weights == .warp,
          limits: limits.readLimits, jobs: jobs)
      }
      report = try write(
        AugmentedDataset(sources: sources, configuration: configuration, weightMapper: mapper, seed: seed, keepLabels: !noLabels)
      ) { try writePreview(count: count, dataset: $0) }
    }

    let seconds = Date().timeIntervalSince(start)
    let bytes = report.manifest.shards.reduce(0) { $0 + $1.bytes }
    let made = report.written.reduce(0) { $0 + plan.sampleRange(ofShard: $1).count }
    var line = "augment: \(owned) samples in \(report.manifest.shards.count) shard\(report.manifest.shards.count == 1 ? "" : "s")"
    if !report.kept.isEmpty { line += " (\(report.kept.count) kept from an earlier run)" }
    line += ", \(bytes) bytes, \(String(format: "%.2f", seconds)) s, \(String(format: "%.1f", Double(made) / max(seconds, 1e-9))) samples/s -> \(out)"
    if partition.count > 1 { line += " (partition \(partition.index) of \(partition.count))" }
    print(line)
  }

  /// Refuses to mix with an existing dataset unless resuming.
  func checkOutputFolder(partition: Partition) throws {
    guard !resume else { return }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
    let ours = partition.manifestFileName
    if let existing = names.first(where: { $0 == Manifest.fileName || $0 == ours }) {
      throw ShardError(
        .manifestConflict, path: out + "/" + existing,
        "a dataset is already here; pass --resume to complete it, or choose another --out")
    }
  }

  func writePreview(count: Int, dataset: AugmentedDataset<SourceSet>) throws {
    var rows: [[Image<UInt8>]] = []
    for k in 0..<count {
      let (draw, sample) = dataset.sample(k)
      let source = dataset.sources.items[draw.sourceIndex]
      rows.append([
        PreviewPanels.gray(source.image), PreviewPanels.gray(sample.image),
        PreviewPanels.mask(sample.mask), WeightPreview.render(weights: sample.weights, instances: sample.labels),
      ])
    }
    try ImageFile.write(PreviewPanels.grid(rows), to: out + "/preview.png")
  }

  /// The 3-D preview: per sample, source | augmented | mask as the middle
  /// xy slice, then the weights' orthogonal slices.
  func writePreview(count: Int, dataset: AugmentedDataset<VolumeSourceSet>) throws {
    var rows: [[Image<UInt8>]] = []
    for k in 0..<count {
      let (draw, sample) = dataset.sample(k)
      let source = dataset.sources.items[draw.sourceIndex]
      let middle = sample.image.depth / 2
      rows.append([
        PreviewPanels.gray(source.image.slice(middle)), PreviewPanels.gray(sample.image.slice(middle)),
        PreviewPanels.mask(sample.mask.slice(middle)), WeightPreview.render(weights: sample.weights, instances: sample.labels),
      ])
    }
    try ImageFile.write(PreviewPanels.grid(rows), to: out + "/preview.png")
  }
}

/// Geometry options of `unet augment`.
struct GeometryOptions: ParsableArguments {
  @Option(help: "Elastic control grid size G (G x G points on the corners, edge midpoints, centre for 3).")
  var grid: Int = 3
  @Option(help: "Standard deviation σ of the elastic grid displacements, in pixels (default 10).")
  var elasticSigma: Double?
  /// The earlier name of --elastic-sigma, kept for scripts.
  @Option(name: .customLong("sigma"), help: .hidden)
  var sigmaAlias: Double?

  /// The elastic σ in pixels, from --elastic-sigma or --sigma.
  var sigma: Double { elasticSigma ?? sigmaAlias ?? 10 }

  func validate() throws {
    guard elasticSigma == nil || sigmaAlias == nil else {
      throw ValidationError("--sigma is another name of --elastic-sigma; give one of them")
    }
  }
  @Option(help: "Rotation drawn from [-DEG, DEG] degrees (180: full circle).")
  var rotate: Double = 180
  @Option(help: "Shift drawn from [-PX, PX] pixels per axis.")
  var shift: Double = 0
  @Flag(help: "No random horizontal or vertical flips.")
  var noFlip = false
  @Option(help: "Isotropic scale drawn from [A, B], e.g. 0.9,1.1.")
  var scale: RangeArgument?
  @Option(help: "Image interpolation: cubic or linear (labels are always nearest).")
  var interpolation: InterpolationArgument = .cubic
  @Option(help: "Outside the image: mirror, constant (0) or nearest.")
  var border: BorderMode = .mirror
}

/// Gray-value options of `unet augment`.
struct GrayValueOptions: ParsableArguments {
  @Flag(help: "No gray-value variation.")
  var noIntensity = false
  @Option(help: "Brightness offset range A,B (normalised units).")
  var brightness: RangeArgument = RangeArgument(IntensityRanges.mild.brightness!)
  @Option(help: "Contrast factor range A,B.")
  var contrast: RangeArgument = RangeArgument(IntensityRanges.mild.contrast!)
  @Option(help: "Gamma range A,B.")
  var gamma: RangeArgument = RangeArgument(IntensityRanges.mild.gamma!)
  @Option(help: "Additive Gaussian noise sigma range A,B.")
  var noise: RangeArgument = RangeArgument(IntensityRanges.mild.noiseSigma!)
  @Option(help: "Image normalisation: percentile (1st-99.8th to [0,1]), range (divide by the type's maximum) or none.")
  var normalize: NormalizeArgument = .percentile

  var ranges: IntensityRanges {
    noIntensity
      ? .off
      : IntensityRanges(
        brightness: brightness.range, contrast: contrast.range, gamma: gamma.range, noiseSigma: noise.range)
  }
}

/// Weight-map options of `unet augment`.
struct SampleWeightOptions: ParsableArguments {
  @Option(help: "recompute the weight map from the warped labels (exact), or warp the source's.")
  var weights: WeightSource = .recompute
  @Option(help: "Border width σ of the weight map, in pixels.")
  var weightSigma: Double = 5
  @OptionGroup var weightMap: WeightMapOptions

  func weightMapConfiguration() throws -> WeightMapConfiguration {
    try weightMap.configuration(sigma: weightSigma, sigmaOption: "--weight-sigma", borderOn: .background)
  }
}

/// `A,B` with A ≤ B.
struct RangeArgument: ExpressibleByArgument {
  var range: ClosedRange<Double>
  init(_ range: ClosedRange<Double>) { self.range = range }
  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), a.isFinite, b.isFinite, a <= b else {
      return nil
    }
    range = a...b
  }
  var defaultValueDescription: String { "\(range.lowerBound),\(range.upperBound)" }
}

enum InterpolationArgument: String, ExpressibleByArgument, CaseIterable {
  case cubic, linear
  var value: Interpolation { self == .cubic ? .cubic : .linear }
}

enum NormalizeArgument: String, ExpressibleByArgument, CaseIterable {
  case percentile, range, none
  var value: Normalization {
    switch self {
    case .percentile: .standard
    case .range: .range
    case .none: .none
    }
  }
}

extension BorderMode: ExpressibleByArgument {}
extension WeightSource: ExpressibleByArgument {}
