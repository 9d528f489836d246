#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import RasterCore

/// Instance labels ready for weighting: normalised (binary mask → connected
/// components), separated when the configuration says so, and counted.
public struct PreparedLabels: Sendable, Equatable {
  /// The instances after normalisation and separation; their non-zero
  /// pixels are the foreground class.
  public let instances: LabelImage
  /// Background and foreground pixels of ``instances`` (ignored ones not counted).
  public let counts: ClassCounts
  /// The pixels of the ignore label (``WeightMapConfiguration/ignoreLabel``),
  /// background in ``instances`` and weighted 0; nil when there are none.
  public let ignored: [Bool]?

  /// Wraps instance labels that are already normalised and separated.
  public init(instances: LabelImage, ignored: [Bool]? = nil) {
    precondition(instances.channels == 1, "PreparedLabels: expected 1 channel, got \(instances.channels)")
    self.instances = instances
    self.ignored = ignored
    var counts = ClassCounts(labels: instances)
    if let ignored { counts.background -= ignored.lazy.filter { $0 }.count }
    self.counts = counts
  }
}

/// One image's weight map and the arrays it was computed from.
public struct WeightMapResult: Sendable, Equatable {
  /// `w = w_c + border term`, one `Float` per pixel.
  public let weights: Image<Float>
  /// The class of every pixel: 0 background, 1 foreground (after separation).
  public let mask: Image<UInt8>
  /// The instances after normalisation and separation.
  public let instances: LabelImage
  /// The class weights `w_c` that were applied.
  public let classWeights: ClassWeights
}

/// Computes U-Net weight maps (Ronneberger, Fischer, Brox, "U-Net:
/// Convolutional Networks for Biomedical Image Segmentation", MICCAI 2015,
/// arXiv:1505.04597, eq. 2):
///
///     w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))
///
/// `d1 ≤ d2` are the Euclidean distances (between pixel centres) from `x`
/// to the nearest pixels of the nearest and the second-nearest instance
/// (two distinct instances); with fewer than two instances the border term
/// is 0. The term is added on background pixels (or everywhere, see
/// ``BorderRegion``).
///
/// Per image: ``compute(_:)``. Dataset-scope class balancing is two-phase:
/// ``prepare(_:)`` every image and sum the ``PreparedLabels/counts``, turn
/// the sum into weights with ``WeightMapConfiguration/resolvedClassWeights(for:)``,
/// then ``weights(for:classWeights:)`` per image.
///
/// ## Error bound
/// Write `T(S) = w0·exp(−S²/(2σ²))` for `S = d1 + d2`. Pick
/// `τ = min(1e−6·w0, 1e−5)` and `R = σ·√(2·ln(w0/τ))`; then `S > R` implies
/// `T(S) < w0·exp(−R²/(2σ²)) = τ`. The mapper computes `d1`, `d2` exactly
/// (integer squared distances) wherever `d1 + d2 ≤ R` and writes the term
/// there as `Float(w_c + T)`; elsewhere it writes `Float(w_c)`. So a kept
/// term is exact up to Float32 rounding of `w` (≤ 2⁻²⁴·w, ≤ 1e−4 while
/// `w ≤ 1600`), and a dropped one is below `τ ≤ 1e−6·w0` and `τ ≤ 1e−5`:
/// the term is within 1e−4 absolute of the definition wherever it exceeds
/// 1e−6·w0 (for the paper's `w0 = 10`, `σ = 5`: `τ = 1e−5`, `R ≈ 26.3`).
///
/// ## Method
/// Since `d1 ≤ d2` and `d1 + d2 ≤ R`, only instance pixels within `R` of `x`
/// matter. Two passes find them, in the spirit of the separable distance
/// transform (Felzenszwalb and Huttenlocher, Theory of Computing 8, 2012,
/// doi:10.4086/toc.2012.v008a019), but keeping two *distinct* instances:
/// 1. Columns: for each pixel, the two nearest distinct instances in its own
///    column, looking up and looking down (one scan each way, in bands of
///    rows; a band's upward scan starts `R` rows below it).
/// 2. Rows: for each pixel, candidates `dx² + g²` from the columns `x ± dx`,
///    `dx = 0, 1, …`, keeping the two smallest of distinct instances. The
///    scan stops when `dx² ≥ d2²` (nothing unseen is nearer), or when
///    `min(d1, dx) + dx > R`: an unseen candidate (distance ≥ `dx`) that
///    changed the two nearest would make `d1 + d2 ≥ min(d1, dx) + dx > R`,
///    while the values found only decrease — so either they are final or
///    the sum exceeds `R` anyway; and at `dx > R`.
/// Two distinct instances per column are enough: if the second-nearest
/// instance `b` is reached through column `c` but is not among that
/// column's two nearest, those two are both at least as near in `c`, and
/// one of them differs from the nearest instance, so `d2` is still found.
///
/// - Complexity: O(width × height) for the column pass; the row pass costs
///   O(d2) per weighted pixel, at most O(R). Memory: the outputs plus
///   O(width × max(128, 2R)) scratch — never one array per instance.
public struct WeightMapper: Sendable {
  public let configuration: WeightMapConfiguration
  /// Rows per band of the column pass, at least (tests lower it to cross
  /// band boundaries on small images). Results do not depend on it.
  var minimumBandRows = 128
  /// Threads for one volume's border term (slabs of slices); 1 by default,
  /// for callers that run volumes or samples in parallel already. Results
  /// do not depend on it.
  public var jobs = 1

  public init(_ configuration: WeightMapConfiguration = .paper) {
    self.configuration = configuration
  }

  /// The truncation level `τ = min(1e−6·w0, 1e−5)`: border terms below it may
  /// be written as 0.
  public var truncation: Double { Swift.min(1e-6 * configuration.w0, 1e-5) }

  /// The window radius `R = σ·√(2·ln(w0/τ))` in pixels: where `d1 + d2 > R`
  /// the border term is below ``truncation`` and is written as 0.
  /// 0 when `w0 = 0`.
  public var windowRadius: Double {
    let w0 = configuration.w0
    guard w0 > 0 else { return 0 }
    return configuration.sigmaPixels * (2 * log(w0 / truncation)).squareRoot()
  }

  /// Normalises (binary mask → connected components), separates touching
  /// instances when ``WeightMapConfiguration/separation`` is on, and counts the
  /// classes.
  ///
  /// - Complexity: O(width × height).
  public func prepare(_ labels: LabelImage) -> PreparedLabels {
    precondition(labels.channels == 1, "WeightMapper: expected 1 channel, got \(labels.channels)")
    let (annotated, ignored) = configuration.settingAsideIgnored(labels, \.samples)
    var instances = InstanceLabels.normalize(
      annotated, interpretation: configuration.labelInterpretation,
      connectivity: configuration.connectivity)
    if configuration.separation { instances = Separation.apply(instances) }
    return PreparedLabels(instances: instances, ignored: ignored)
  }

  /// The weight map of prepared labels with the given class weights.
  public func weights(for prepared: PreparedLabels, classWeights: ClassWeights) -> WeightMapResult {
    let instances = prepared.instances
    let n = instances.pixelCount
    var weights = [Float](repeating: 0, count: n)
    var mask = [UInt8](repeating: 0, count: n)
    instances.samples.withUnsafeBufferPointer { lab in
      weights.withUnsafeMutableBufferPointer { w in
        mask.withUnsafeMutableBufferPointer { m in
          for i in 0..<n { m[i] = lab[i] != 0 ? 1 : 0 }
          BorderTermKernel(
            w0: configuration.w0, sigmaPixels: configuration.sigmaPixels,
            radius: windowRadius, region: configuration.borderOn,
            minimumBandRows: minimumBandRows
          ).run(
            labels: lab, width: instances.width, height: instances.height,
            background: classWeights.background, foreground: classWeights.foreground, into: w)
        }
      }
    }
    if let ignored = prepared.ignored {
      for i in 0..<n where ignored[i] { weights[i] = 0 }
    }
    return WeightMapResult(
      weights: Image(width: instances.width, height: instances.height, samples: weights),
      mask: Image(width: instances.width, height: instances.height, samples: mask),
      instances: instances, classWeights: classWeights)
  }

  /// The weight map of one label image, on its own: class weights from this
  /// image's counts when balanced (either scope — the image is the whole
  /// dataset here).
  public func compute(_ labels: LabelImage) -> WeightMapResult {
    let prepared = prepare(labels)
    return weights(for: prepared, classWeights: configuration.resolvedClassWeights(for: prepared.counts))
  }

  /// Only the border term `w0·exp(−(d1+d2)²/(2σ²))` of instances that are
  /// already normalised and separated (`w_c = 0`).
  public func borderTerm(instances: LabelImage) -> Image<Float> {
    weights(for: PreparedLabels(instances: instances), classWeights: ClassWeights(background: 0, foreground: 0))
      .weights
  }
}
