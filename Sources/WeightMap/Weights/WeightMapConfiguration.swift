import RasterCore
/// Where the border term `w0·exp(−(d1+d2)²/2σ²)` is added.
public enum BorderRegion: String, Sendable, CaseIterable, Codable {
  /// Only on background pixels (label 0 after separation), as in the paper.
  case background
  /// On every pixel; on a pixel of instance `i`, `d1 = 0` and `d2` is the
  /// distance to the nearest other instance.
  case all
}

/// Over which pixels balanced class weights count the classes.
public enum BalanceScope: String, Sendable, CaseIterable, Codable {
  /// All images of a run together: sum the ``ClassCounts`` of every image,
  /// then derive one pair of weights for all of them.
  case dataset
  /// Each image on its own.
  case image
}

/// The class-balancing term `w_c` of the weight map.
public enum ClassWeighting: Sendable, Equatable, Hashable {
  /// `w_c(k) = N / (K · N_k)`: `N` pixels, `N_k` of class `k`
  /// (0 = background, 1 = foreground), `K` classes present. See
  /// ``ClassCounts/balancedWeights()`` for empty classes.
  case balanced(BalanceScope)
  /// `w_c ≡ 1` (the spec's `none`).
  case uniform
  /// Given weights for background (class 0) and foreground (class 1).
  case explicit(background: Double, foreground: Double)
}

/// The settings of the U-Net weight map
/// `w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))`
/// (Ronneberger, Fischer, Brox, MICCAI 2015, arXiv:1505.04597, eq. 2).
///
/// Values are checked once, by the throwing initializer; a value of this type
/// is always valid.
public struct WeightMapConfiguration: Sendable, Equatable, Hashable {
  /// `w0`, the border term's peak weight; finite, ≥ 0. Paper: 10.
  public let w0: Double
  /// `σ` in pixels; finite, > 0. Paper: ≈ 5.
  public let sigmaPixels: Double
  /// The class-balancing term `w_c`.
  public let classWeights: ClassWeighting
  /// Where the border term is added.
  public let borderOn: BorderRegion
  /// Whether touching instances are separated (Fig. 3c) before anything else.
  public let separation: Bool
  /// How the input label image is read (binary mask or instances).
  public let labelInterpretation: LabelInterpretation
  /// The connectivity of the connected components of a binary mask.
  public let connectivity: Connectivity
  /// A label value that marks unannotated pixels (voxels): they are no
  /// instance, not counted in the class balance, and weighted 0, so that a
  /// loss over the weights ignores them (sparse annotation, Çiçek et al.
  /// 2016). It must lie above every instance id (nnU-Net's convention for
  /// its ignore label); nil: none.
  public let ignoreLabel: UInt32?

  /// Validates and stores the settings.
  ///
  /// - Throws: ``ConfigurationError`` naming the first bad value:
  ///   `w0` negative or not finite, `sigmaPixels` ≤ 0 or not finite, an
  ///   explicit class weight negative or not finite.
  public init(
    w0: Double = 10,
    sigmaPixels: Double = 5,
    classWeights: ClassWeighting = .balanced(.dataset),
    borderOn: BorderRegion = .background,
    separation: Bool = true,
    labelInterpretation: LabelInterpretation = .automatic,
    connectivity: Connectivity = .four,
    ignoreLabel: UInt32? = nil
  ) throws {
    if ignoreLabel == 0 {
      throw ConfigurationError(setting: "ignoreLabel", value: "0", requirement: "above 0 (0 is the background)")
    }
    guard w0.isFinite, w0 >= 0 else {
      throw ConfigurationError(setting: "w0", value: "\(w0)", requirement: "finite and >= 0")
    }
    guard sigmaPixels.isFinite, sigmaPixels > 0 else {
      throw ConfigurationError(
        setting: "sigmaPixels", value: "\(sigmaPixels)", requirement: "finite and > 0")
    }
    if case .explicit(let background, let foreground) = classWeights,
      !([background, foreground].allSatisfy { $0.isFinite && $0 >= 0 })
    {
      throw ConfigurationError(
        setting: "classWeights", value: "\(background),\(foreground)", requirement: "finite and >= 0, both")
    }
    self.w0 = w0
    self.sigmaPixels = sigmaPixels
    self.classWeights = classWeights
    self.borderOn = borderOn
    self.separation = separation
    self.labelInterpretation = labelInterpretation
    self.connectivity = connectivity
    self.ignoreLabel = ignoreLabel
  }

  /// Checks that the ignore label lies above every instance id of a label
  /// file's `samples`; the error names `path`.
  public func checkIgnoreLabel(in samples: [UInt32], path: String) throws {
    guard let ignoreLabel, let top = samples.lazy.filter({ $0 != ignoreLabel }).max(), top > ignoreLabel else { return }
    throw RasterError(
      .unsupported, path: path,
      "the ignore label \(ignoreLabel) is also an instance id (the file has ids up to \(top)); "
        + "give an ignore label above every instance id")
  }

  /// The flags of the ignored pixels of `samples` (nil without an ignore label).
  func ignored(_ samples: [UInt32]) -> [Bool]? {
    guard let ignoreLabel, samples.contains(ignoreLabel) else { return nil }
    return samples.map { $0 == ignoreLabel }
  }

  /// The paper's settings: `w0 = 10`, `σ = 5` px, balanced class weights
  /// over the dataset, border term on background, separation on.
  public static let paper = try! WeightMapConfiguration()

  /// The class weights for pixels counted by `counts`, by ``classWeights``:
  /// `.balanced` → ``ClassCounts/balancedWeights()`` of `counts`,
  /// `.uniform` → (1, 1), `.explicit` → the given pair (`counts` unused).
  public func resolvedClassWeights(for counts: ClassCounts) -> ClassWeights {
    switch classWeights {
    case .balanced: counts.balancedWeights()
    case .uniform: ClassWeights(background: 1, foreground: 1)
    case .explicit(let b, let f): ClassWeights(background: b, foreground: f)
    }
  }
}

/// The configuration as a dataset manifest records it (`unet augment`'s
/// `weightMap`): `w0`, `sigmaPixels`, `classWeights` (`{"balanced":
/// "dataset"}`, `{"balanced": "image"}`, `"none"` or `[w_background,
/// w_foreground]`), `borderOn`, `separation`, `connectivity`, and
/// `labelInterpretation` only when it is not `automatic`. Decoding checks
/// the values as the initializer does; a missing key takes its default, and
/// `sigma` (a volume dataset's σ in its spacing unit, see
/// ``encoded(sigmaUnit:)``) stands for `sigmaPixels`.
extension WeightMapConfiguration: Codable {
  private enum CodingKeys: String, CodingKey {
    case w0, sigmaPixels, classWeights, borderOn, separation, labelInterpretation, connectivity, ignoreLabel
    /// σ as a 3-D dataset's manifest names it, in the spacing's unit.
    case sigma, sigmaUnit
  }

  private enum BalancedKey: String, CodingKey { case balanced }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = WeightMapConfiguration.paper
    var weighting = d.classWeights
    if c.contains(.classWeights) {
      if let text = try? c.decode(String.self, forKey: .classWeights), text == "none" {
        weighting = .uniform
      } else if let pair = try? c.decode([Double].self, forKey: .classWeights), pair.count == 2 {
        weighting = .explicit(background: pair[0], foreground: pair[1])
      } else {
        let balanced = try c.nestedContainer(keyedBy: BalancedKey.self, forKey: .classWeights)
        weighting = .balanced(try balanced.decode(BalanceScope.self, forKey: .balanced))
      }
    }
    do {
      try self.init(
        w0: c.decodeIfPresent(Double.self, forKey: .w0) ?? d.w0,
        sigmaPixels: c.decodeIfPresent(Double.self, forKey: .sigmaPixels)
          ?? c.decodeIfPresent(Double.self, forKey: .sigma) ?? d.sigmaPixels,
        classWeights: weighting,
        borderOn: c.decodeIfPresent(BorderRegion.self, forKey: .borderOn) ?? d.borderOn,
        separation: c.decodeIfPresent(Bool.self, forKey: .separation) ?? d.separation,
        labelInterpretation: c.decodeIfPresent(LabelInterpretation.self, forKey: .labelInterpretation)
          ?? d.labelInterpretation,
        connectivity: c.decodeIfPresent(Connectivity.self, forKey: .connectivity) ?? d.connectivity,
        ignoreLabel: c.decodeIfPresent(UInt32.self, forKey: .ignoreLabel))
    } catch let error as ConfigurationError {
      throw DecodingError.dataCorruptedError(forKey: .w0, in: c, debugDescription: error.description)
    }
  }

  public func encode(to encoder: any Encoder) throws {
    try encode(to: encoder, sigmaUnit: nil)
  }

  /// The configuration as a volume dataset's manifest records it: σ under
  /// `sigma`, with `sigmaUnit` the unit of the dataset's voxel spacing in
  /// which ``sigmaPixels`` counts, instead of `sigmaPixels`; the rest as
  /// `encode(to:)` writes it. Decoding reads `sigma` back as ``sigmaPixels``.
  public func encoded(sigmaUnit: String) -> some Encodable & Sendable {
    SigmaInUnit(configuration: self, unit: sigmaUnit)
  }

  private struct SigmaInUnit: Encodable, Sendable {
    var configuration: WeightMapConfiguration
    var unit: String
    func encode(to encoder: any Encoder) throws { try configuration.encode(to: encoder, sigmaUnit: unit) }
  }

  private func encode(to encoder: any Encoder, sigmaUnit: String?) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(w0, forKey: .w0)
    if let sigmaUnit {
      try c.encode(sigmaPixels, forKey: .sigma)
      try c.encode(sigmaUnit, forKey: .sigmaUnit)
    } else {
      try c.encode(sigmaPixels, forKey: .sigmaPixels)
    }
    switch classWeights {
    case .balanced(let scope):
      var balanced = c.nestedContainer(keyedBy: BalancedKey.self, forKey: .classWeights)
      try balanced.encode(scope, forKey: .balanced)
    case .uniform: try c.encode("none", forKey: .classWeights)
    case .explicit(let background, let foreground): try c.encode([background, foreground], forKey: .classWeights)
    }
    try c.encode(borderOn, forKey: .borderOn)
    try c.encode(separation, forKey: .separation)
    if labelInterpretation != .automatic { try c.encode(labelInterpretation, forKey: .labelInterpretation) }
    try c.encode(connectivity, forKey: .connectivity)
    try c.encodeIfPresent(ignoreLabel, forKey: .ignoreLabel)
  }
}

extension WeightMapConfiguration {
  /// `InstanceLabels.normalize` of `labels` with this configuration's
  /// interpretation and connectivity, leaving the pixels of the ignore
  /// label as they are: they are set aside before a binary mask becomes its
  /// components, and component ids from the ignore label up move one up,
  /// so that no instance takes its value.
  public func normalize(_ labels: LabelImage) -> LabelImage {
    keepingIgnored(labels, \.samples) {
      InstanceLabels.normalize($0, interpretation: labelInterpretation, connectivity: connectivity)
    }
  }

  /// `normalize(_:)` of a volume.
  public func normalize(_ labels: LabelVolume) -> LabelVolume {
    keepingIgnored(labels, \.samples) {
      InstanceLabels.normalize($0, interpretation: labelInterpretation, connectivity: connectivity)
    }
  }

  /// `labels` with the pixels of the ignore label set to 0 (background),
  /// and their flags (nil when there are none).
  func settingAsideIgnored<L>(_ labels: L, _ samples: WritableKeyPath<L, [UInt32]>) -> (annotated: L, ignored: [Bool]?) {
    guard let ignored = ignored(labels[keyPath: samples]) else { return (labels, nil) }
    var annotated = labels
    annotated[keyPath: samples] = zip(labels[keyPath: samples], ignored).map { $1 ? 0 : $0 }
    return (annotated, ignored)
  }

  /// `normalize` of the annotated pixels, the ignore label put back and
  /// the ids from it up moved one up.
  private func keepingIgnored<L>(_ labels: L, _ samples: WritableKeyPath<L, [UInt32]>, _ normalize: (L) -> L) -> L {
    let (annotated, ignored) = settingAsideIgnored(labels, samples)
    guard let ignoreLabel, let ignored else { return normalize(labels) }
    var result = normalize(annotated)
    result[keyPath: samples] = zip(result[keyPath: samples], ignored).map { id, skip in
      skip ? ignoreLabel : id >= ignoreLabel ? id + 1 : id
    }
    return result
  }
}
