import ArgumentParser
import Foundation
import Raster
import WeightMap
import _Support

/// `unet weights`: U-Net weight maps and separated masks from instance labels.
struct Weights: ToolCommand {
  static let configuration = CommandConfiguration(
    abstract: "Compute U-Net weight maps w = w_c + w0·exp(-(d1+d2)²/2σ²) and separated masks.",
    discussion: """
      For each input NAME writes OUT/NAME.weight.tiff (float32; .npy with
      --format npy) and OUT/NAME.mask.png (8-bit: 0 background, 1 foreground,
      after separation); with --preview also OUT/NAME.preview.png. A label
      image whose values are all in {0,1} or {0,255} is a binary mask and
      becomes instances by connected components; any other is instance ids.
      All inputs are read and checked before anything is written.

      With --volume each input is one volume (a multi-page TIFF z-stack or
      an NPY (D, H, W)): distances and σ are physical, in the unit of the
      voxel spacing (--spacing Z,Y,X, else the TIFF's ImageJ metadata, else
      1,1,1 voxel, when σ is in voxels); separation uses the 26 neighbours,
      a binary mask becomes 6-connected (--connectivity 4) or 26-connected
      (8) components. It writes OUT/NAME.weight.tiff (a float32 z-stack
      with ImageJ metadata naming the spacing and unit; .npy (D, H, W)
      with --format npy), OUT/NAME.mask.tiff (or .npy; uint8) and with
      --preview OUT/NAME.preview.png (orthogonal slices through the centre).
      --max-pixels then counts voxels.
      """)

  @Argument(help: "Label images: files, folders (their image files) or quoted glob patterns.")
  var labels: [String]

  @Option(help: "Output folder (created if missing).")
  var out: String

  @Option(help: "Border width σ of the weight map, in pixels (default 5; with --volume in the spacing's unit).")
  var weightSigma: Double?
  /// The earlier name of --weight-sigma, kept for scripts.
  @Option(name: .customLong("sigma"), help: .hidden)
  var sigmaAlias: Double?

  @Option(help: "Where the border term is added: background or all.")
  var borderOn: BorderRegion = .background

  @OptionGroup var weightMap: WeightMapOptions

  @Option(help: "Weight map format: tiff or npy.")
  var format: WeightFormat = .tiff

  @Flag(help: "Also write NAME.preview.png, a heat map of w with instance outlines.")
  var preview = false

  @Option(help: "Files processed at once (default: all cores).")
  var jobs: Int?

  @OptionGroup(title: "Volumes") var volume: VolumeOptions

  @OptionGroup var limits: LimitOptions

  enum WeightFormat: String, ExpressibleByArgument, CaseIterable {
    case tiff, npy
  }

  func weightMapConfiguration() throws -> WeightMapConfiguration {
    try weightMap.configuration(
      sigma: weightSigma ?? sigmaAlias ?? 5, sigmaOption: sigmaAlias != nil ? "--sigma" : "--weight-sigma",
      borderOn: borderOn)
  }

  func validate() throws {
    guard weightSigma == nil || sigmaAlias == nil else {
      throw ValidationError("--sigma is another name of --weight-sigma; give one of them")
    }
    _ = try weightMapConfiguration()
    if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
  }

  func execute() throws {
    try compute()
  }

  func compute() throws {
    let start = Date()
    let mapper = WeightMapper(try weightMapConfiguration())
    let files = try expandInputs(labels)
    try checkDistinctNames(files)
    let limits = self.limits.readLimits
    let summary: (pixels: Int, instances: Int)
    if volume.volume {
      // Cores the files leave over go to each volume's slabs.
      var slabs = mapper
      slabs.jobs = max(1, (self.jobs ?? availableCores) / max(1, files.count))
      let mapper = slabs
      summary = try weigh(
        files, mapper: mapper,
        prepare: { path in
          let labels = try volume.read(path, limits: limits).labels(path: path)
          try mapper.configuration.checkIgnoreLabel(in: labels.samples, path: path)
          return mapper.prepare(labels)
        },
        counts: \.counts, bytes: { $0.instances.voxelCount * 4 },
        write: { prepared, classWeights, name in
          let result = mapper.weights(for: prepared, classWeights: classWeights)
          let ext = format == .npy ? "npy" : "tiff"
          try ImageFile.writeVolume(result.weights, to: name + ".weight." + ext)
          try ImageFile.writeVolume(result.mask, to: name + ".mask." + ext)
          if preview {
            try ImageFile.write(WeightPreview.render(weights: result.weights, instances: result.instances), to: name + ".preview.png")
          }
          return AnyVolume(result.instances).distinctNonZeroCount ?? 0
        })
    } else {
      summary = try weigh(
        files, mapper: mapper, prepare: { try Self.prepare($0, mapper: mapper, limits: limits) },
        counts: \.counts, bytes: { $0.instances.pixelCount * 4 },
        write: { prepared, classWeights, name in
          let result = mapper.weights(for: prepared, classWeights: classWeights)
          try ImageFile.write(result.weights, to: name + ".weight." + format.rawValue)
          try ImageFile.write(result.mask, to: name + ".mask.png")
          if preview {
            try ImageFile.write(WeightPreview.render(weights: result.weights, instances: result.instances), to: name + ".preview.png")
          }
          return AnyImage(result.instances).distinctNonZeroCount ?? 0
        })
    }
    let seconds = Date().timeIntervalSince(start)
    let unit = volume.volume ? " voxels" : " pixels"
    print("weights: \(files.count) file\(files.count == 1 ? "" : "s"), \(summary.pixels)\(unit), \(summary.instances) instances, \(String(format: "%.2f", seconds)) s -> \(out)")
  }

  /// Both passes over `files`: read, check and count every input before
  /// writing anything (prepared labels kept while they fit a memory budget,
  /// re-read otherwise), then the weights of each with the class weights of
  /// its scope, written atomically. Returns the pixels and instances.
  func weigh<Prepared: Sendable>(
    _ files: [String], mapper: WeightMapper, prepare: @Sendable (String) throws -> Prepared,
    counts: @Sendable (Prepared) -> ClassCounts, bytes: @Sendable (Prepared) -> Int,
    write: @Sendable (Prepared, ClassWeights, String) throws -> Int
  ) throws -> (pixels: Int, instances: Int) {
    let jobs = self.jobs ?? availableCores
    let prepared = Slots<Prepared?>(count: files.count, initial: nil)
    let tallies = Slots<ClassCounts>(count: files.count, initial: ClassCounts())
    let budget = Budget(bytes: 1 << 30)
    let progress = ProgressBar(total: 2 * files.count, label: "weights")
    try parallelFor(files.count, jobs: jobs) { i in
      let p = try prepare(files[i])
      tallies[i] = counts(p)
      if budget.take(bytes(p)) { prepared[i] = p }
      progress.advance()
    }
    let total = tallies.values.reduce(ClassCounts(), +)

    try makeDirectory(out)
    let instances = Slots<Int>(count: files.count, initial: 0)
    try parallelFor(files.count, jobs: jobs) { i in
      let p = try prepared[i] ?? prepare(files[i])
      prepared[i] = nil
      let scope = mapper.configuration.classWeights == .balanced(.image) ? counts(p) : total
      instances[i] = try write(p, mapper.configuration.resolvedClassWeights(for: scope), out + "/" + imageName(files[i]))
      progress.advance()
    }
    return (tallies.values.reduce(0) { $0 + $1.total }, instances.values.reduce(0, +))
  }

  static func prepare(_ path: String, mapper: WeightMapper, limits: ReadLimits) throws -> PreparedLabels {
    let labels = try StackHint.adding(StackHint.volume) { try ImageFile.readImage(path, limits: limits) }.labels(path: path)
    try mapper.configuration.checkIgnoreLabel(in: labels.samples, path: path)
    return mapper.prepare(labels)
  }
}

/// The weight-map options that `unet weights` and `unet augment` share
/// (each names its own σ option).
struct WeightMapOptions: ParsableArguments {
  @Option(help: "Border weight w0.")
  var w0: Double = 10

  @Option(help: "Class weights w_c: balanced, none, or W0,W1 (background, foreground).")
  var classWeights: ClassWeightsArgument = .balanced

  @Option(help: "Count classes for 'balanced' over all inputs (dataset) or per image.")
  var classWeightsScope: BalanceScope = .dataset

  @Flag(help: "Keep touching instances as they are (no separation borders).")
  var noSeparation = false

  @Option(help: "Connectivity of the connected components of a binary mask: 4 or 8.")
  var connectivity: ConnectivityArgument = .four

  @Option(
    help: ArgumentHelp(
      "A label value for unannotated pixels (voxels), above every instance id: weighted 0, so training ignores them.",
      valueName: "n"))
  var ignoreLabel: UInt32?

  /// The weight-map configuration; a bad value becomes a `ValidationError` naming its option.
  func configuration(sigma: Double, sigmaOption: String, borderOn: BorderRegion) throws -> WeightMapConfiguration {
    let weighting: ClassWeighting
    switch classWeights {
    case .balanced: weighting = .balanced(classWeightsScope)
    case .none: weighting = .uniform
    case .explicit(let b, let f): weighting = .explicit(background: b, foreground: f)
    }
    return try OptionNames.weightMap(sigmaOption: sigmaOption).checking {
      try WeightMapConfiguration(
        w0: w0, sigmaPixels: sigma, classWeights: weighting, borderOn: borderOn, separation: !noSeparation,
        connectivity: connectivity.value, ignoreLabel: ignoreLabel)
    }
  }
}

/// `balanced`, `none`, or `W0,W1`.
enum ClassWeightsArgument: ExpressibleByArgument, Equatable {
  case balanced, none
  case explicit(Double, Double)

  init?(argument: String) {
    switch argument {
    case "balanced": self = .balanced
    case "none": self = .none
    default:
      let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
      guard parts.count == 2, let b = Double(parts[0]), let f = Double(parts[1]) else { return nil }
      self = .explicit(b, f)
    }
  }

  static var defaultCompletionKind: CompletionKind { .list(["balanced", "none"]) }
}

/// `4` or `8`.
enum ConnectivityArgument: String, ExpressibleByArgument, CaseIterable {
  case four = "4", eight = "8"
  var value: Connectivity { self == .four ? .four : .eight }
}

extension BalanceScope: ExpressibleByArgument {}
extension BorderRegion: ExpressibleByArgument {}
