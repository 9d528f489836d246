import AugmentCore
import RasterCore
import WeightMap
import _Support

/// The settings of `unet augment`, read from the JSON object that C callers
/// pass: the command's option names in snake case (`elastic_sigma`,
/// `class_weights`, …); a missing key takes the command's default.
struct AugmenterOptions {
  var seed: UInt64
  var configuration: AugmentConfiguration
  var weightMap: WeightMapConfiguration
  /// `--elastic-sigma-z`; nil for the command's default (σ · x-spacing / z-spacing).
  var elasticSigmaZ: Double?
  /// `--spacing` of volumes; nil for (1, 1, 1).
  var spacing: VoxelSpacing?

  init(json text: String) throws {
    let root: JSONValue
    do {
      root = try JSONValue.parse(Array(text.utf8))
    } catch {
      throw CallError("options: \(error)")
    }
    guard case .object(let members) = root else { throw CallError("options must be a JSON object") }
    let known: Set<String> = [
      "seed", "grid", "elastic_sigma", "elastic_sigma_z", "rotate", "shift", "flip", "scale", "interpolation",
      "border", "intensity", "brightness", "contrast", "gamma", "noise", "normalize", "weights", "weight_sigma",
      "w0", "class_weights", "class_weights_scope", "separate", "connectivity", "spacing",
    ]
    if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
      throw CallError("unknown option \(unknown)")
    }
    let o = Reader(members: members)
    seed = try o.unsigned("seed") ?? 0
    let intensity = try o.bool("intensity") ?? true
    let mild = IntensityRanges.mild
    let ranges =
      intensity
      ? IntensityRanges(
        brightness: try o.range("brightness") ?? mild.brightness, contrast: try o.range("contrast") ?? mild.contrast,
        gamma: try o.range("gamma") ?? mild.gamma, noiseSigma: try o.range("noise") ?? mild.noiseSigma)
      : .off
    let normalization: Normalization
    switch try o.string("normalize") ?? "percentile" {
    case "percentile": normalization = .standard
    case "range": normalization = .range
    case "none": normalization = .none
    case let other: throw CallError("invalid normalize \(other): must be percentile, range or none")
    }
    let interpolation: Interpolation
    switch try o.string("interpolation") ?? "cubic" {
    case "cubic": interpolation = .cubic
    case "linear": interpolation = .linear
    case let other: throw CallError("invalid interpolation \(other): must be cubic or linear")
    }
    guard let border = BorderMode(rawValue: try o.string("border") ?? "mirror") else {
      throw CallError("invalid border \(try o.string("border") ?? ""): must be mirror, constant or nearest")
    }
    guard let weights = WeightSource(rawValue: try o.string("weights") ?? "recompute") else {
      throw CallError("invalid weights \(try o.string("weights") ?? ""): must be recompute or warp")
    }
    let flip = try o.bool("flip") ?? true
    let augmentNames = [
      "gridSize": "grid", "sigmaPixels": "elastic_sigma", "rotateDegrees": "rotate", "shiftPixels": "shift",
      "noiseSigma": "noise",
    ]
    let grid = try o.integer("grid") ?? 3
    let elasticSigma = try o.number("elastic_sigma") ?? 10
    let rotate = try o.number("rotate") ?? 180
    let shift = try o.number("shift") ?? 0
    let scale = try o.range("scale")
    configuration = try naming(augmentNames) {
      try AugmentConfiguration(
        gridSize: grid, sigmaPixels: elasticSigma, rotateDegrees: rotate, shiftPixels: shift,
        flipHorizontal: flip, flipVertical: flip, scale: scale, interpolation: interpolation, border: border,
        intensity: ranges, normalization: normalization, weights: weights)
    }
    let scope: BalanceScope
    switch try o.string("class_weights_scope") ?? "dataset" {
    case "dataset": scope = .dataset
    case "image": scope = .image
    case let other: throw CallError("invalid class_weights_scope \(other): must be dataset or image")
    }
    let classWeights: ClassWeighting
    switch members["class_weights"] {
    case nil, .string("balanced"): classWeights = .balanced(scope)
    case .null, .string("none"): classWeights = .uniform
    default:
      guard let (background, foreground) = try o.pair("class_weights") else { throw CallError("invalid class_weights") }
      classWeights = .explicit(background: background, foreground: foreground)
    }
    let connectivity: Connectivity
    switch try o.integer("connectivity") ?? 4 {
    case 4: connectivity = .four
    case 8: connectivity = .eight
    case let other: throw CallError("invalid connectivity \(other): must be 4 or 8")
    }
    let w0 = try o.number("w0") ?? 10
    let weightSigma = try o.number("weight_sigma") ?? 5
    let separation = try o.bool("separate") ?? true
    weightMap = try naming(["sigmaPixels": "weight_sigma"]) {
      try WeightMapConfiguration(
        w0: w0, sigmaPixels: weightSigma, classWeights: classWeights, separation: separation,
        connectivity: connectivity)
    }
    elasticSigmaZ = try o.number("elastic_sigma_z")
    if let z = elasticSigmaZ, !(z.isFinite && z >= 0) {
      throw CallError("invalid elastic_sigma_z \(z): must be finite and >= 0")
    }
    if let values = try o.numbers("spacing") {
      guard values.count == 3 else { throw CallError("spacing must be (z, y, x), got \(values.count) values") }
      if let problem = VoxelSpacing.problem(z: values[0], y: values[1], x: values[2]) {
        throw CallError("invalid spacing: \(problem)")
      }
      spacing = VoxelSpacing(z: values[0], y: values[1], x: values[2])
    }
  }
}

/// Typed access to the members of a JSON object; nil where a key is absent.
private struct Reader {
  let members: [String: JSONValue]

  func number(_ key: String) throws -> Double? {
    switch members[key] {
    case nil, .null: nil
    case .int(let v): Double(v)
    case .uint(let v): Double(v)
    case .double(let v): v
    default: throw CallError("option \(key) must be a number")
    }
  }

  func integer(_ key: String) throws -> Int? {
    switch members[key] {
    case nil, .null: return nil
    case .int(let v) where Int64(Int32.min)...Int64(Int32.max) ~= v: return Int(v)
    default: throw CallError("option \(key) must be an integer")
    }
  }

  func unsigned(_ key: String) throws -> UInt64? {
    switch members[key] {
    case nil, .null: return nil
    case .int(let v) where v >= 0: return UInt64(v)
    case .uint(let v): return v
    default: throw CallError("option \(key) must be an integer in 0...2^64-1")
    }
  }

  func bool(_ key: String) throws -> Bool? {
    switch members[key] {
    case nil, .null: return nil
    case .bool(let v): return v
    default: throw CallError("option \(key) must be true or false")
    }
  }

  func string(_ key: String) throws -> String? {
    switch members[key] {
    case nil, .null: return nil
    case .string(let v): return v
    default: throw CallError("option \(key) must be a string")
    }
  }

  func numbers(_ key: String) throws -> [Double]? {
    switch members[key] {
    case nil, .null: return nil
    case .array(let items):
      return try items.map { item in
        guard let v = try Reader(members: ["v": item]).number("v") else { throw CallError("option \(key) must hold numbers") }
        return v
      }
    default: throw CallError("option \(key) must be a list of numbers")
    }
  }

  /// Two finite numbers.
  func pair(_ key: String) throws -> (Double, Double)? {
    guard let values = try numbers(key) else { return nil }
    guard values.count == 2, values.allSatisfy(\.isFinite) else {
      throw CallError("option \(key) must be a pair of finite numbers")
    }
    return (values[0], values[1])
  }

  /// A pair `[low, high]`, low ≤ high.
  func range(_ key: String) throws -> ClosedRange<Double>? {
    guard let (low, high) = try pair(key) else { return nil }
    guard low <= high else { throw CallError("invalid \(key) (\(low), \(high)): low must be <= high") }
    return low...high
  }
}
