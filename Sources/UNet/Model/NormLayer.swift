/// A normalisation layer after each 3×3 convolution of the U-Net, a
/// training option the paper does not have (its network has none).
///
/// `batch` is batch normalisation (Ioffe and Szegedy 2015,
/// arXiv:1502.03167) with PyTorch's `BatchNorm2d` semantics: each channel
/// is normalised by the mean and the biased variance of the step's batch
/// (over the batch and every pixel), y = γ·(x − μ)/√(σ² + ε) + β with a
/// learned scale γ and shift β, then ReLU follows. Each training step also
/// updates running statistics, r ← (1 − m)·r + m·s with m = 0.1, from the
/// batch's mean and its unbiased variance; prediction and validation
/// normalise with those instead of the batch's, so that a pixel's output
/// does not depend on the tile it falls in (overlap-tile prediction stays
/// seamless). The convolution before a batch normalisation has no bias
/// (the shift takes its place), as in PyTorch's usual `Conv2d(…,
/// bias=False)`.
public enum NormLayer: String, Sendable, Hashable, Codable, CaseIterable {
  /// No normalisation: convolution, bias, ReLU (the paper).
  case none
  /// Batch normalisation after each 3×3 convolution.
  case batch

  /// ε under the square root (PyTorch's `BatchNorm2d` default).
  public static let epsilon: Float = 1e-5
  /// The weight m of a step's statistics in the running ones (PyTorch's
  /// default `momentum`).
  public static let momentum: Float = 0.1
}
