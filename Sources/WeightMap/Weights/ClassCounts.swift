import RasterCore

/// The pixel counts of the two classes of a mask: background (class 0,
/// label 0 after separation) and foreground (class 1).
///
/// Counts add up, so dataset-scope balancing is: count every image
/// (``WeightMapper/prepare(_:)``), sum, then ``balancedWeights()``.
public struct ClassCounts: Sendable, Equatable, Hashable, Codable {
  /// Background pixels (`N_0`).
  public var background: Int
  /// Foreground pixels (`N_1`).
  public var foreground: Int

  public init(background: Int = 0, foreground: Int = 0) {
    precondition(background >= 0 && foreground >= 0, "ClassCounts: negative count")
    self.background = background
    self.foreground = foreground
  }

  /// Counts the zero and non-zero pixels of a label image.
  public init(labels: LabelImage) { self.init(samples: labels.samples) }

  /// Counts the zero and non-zero voxels of a label volume.
  public init(labels: LabelVolume) { self.init(samples: labels.samples) }

  private init(samples: [UInt32]) {
    var fg = 0
    for v in samples where v != 0 { fg += 1 }
    self.init(background: samples.count - fg, foreground: fg)
  }

  /// All pixels, `N`.
  public var total: Int { background + foreground }

  public static func + (a: ClassCounts, b: ClassCounts) -> ClassCounts {
    ClassCounts(background: a.background + b.background, foreground: a.foreground + b.foreground)
  }

  public static func += (a: inout ClassCounts, b: ClassCounts) { a = a + b }

  /// Balanced class weights `w_c(k) = N / (K · N_k)`.
  ///
  /// `K` is the number of classes present (`N_k > 0`), so that the classes
  /// present contribute equal total weight and the mean weight is 1. A class
  /// with no pixels gets weight 1 (it weighs no pixel of these counts); with
  /// both classes present this is exactly the two-class formula `N / (2 N_k)`.
  /// With no pixels at all both weights are 1.
  public func balancedWeights() -> ClassWeights {
    let k = (background > 0 ? 1 : 0) + (foreground > 0 ? 1 : 0)
    let n = Double(total)
    func w(_ nk: Int) -> Double { nk > 0 ? n / (Double(k) * Double(nk)) : 1 }
    return ClassWeights(background: w(background), foreground: w(foreground))
  }
}

/// The class term `w_c` for background (class 0) and foreground (class 1).
public struct ClassWeights: Sendable, Equatable, Hashable, Codable {
  public var background: Double
  public var foreground: Double

  public init(background: Double, foreground: Double) {
    self.background = background
    self.foreground = foreground
  }
}
