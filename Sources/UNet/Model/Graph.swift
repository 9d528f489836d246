import _Support

/// A network as a list of operations over numbered tensors: tensor 0 is the
/// input, operation i writes tensor i + 1, and the last tensor is the output
/// (the logits). The model code describes the U-Net in these terms; a backend
/// turns the description into something that runs. All tensors are N×C×H×W,
/// or N×C×D×H×W in a 3-D graph; sizes and windows list the spatial axes
/// slowest first.
public struct Graph: Sendable, Hashable {
  public enum Operation: Sendable, Hashable {
    /// Valid (unpadded) k×k (k×k×k) convolution, with bias or without (before a
    /// normalisation), optionally followed by ReLU. `parameter` indexes the
    /// weight in the parameter list; the bias, if any, follows it.
    case convolution(input: Int, parameter: Int, outputChannels: Int, kernel: Int, bias: Bool, relu: Bool)
    /// Batch normalisation (`NormLayer.batch`), optionally followed by ReLU:
    /// batch statistics and an update of the running statistics in a
    /// training graph, the running statistics otherwise. `parameter`
    /// indexes the scale γ (the shift β follows it); `statistics` indexes
    /// the running mean in `Graph.statistics` (the variance follows it).
    case batchNorm(input: Int, parameter: Int, statistics: Int, relu: Bool)
    /// Max pooling with stride equal to its window (2×2, 2×2×2, or 1×2×2
    /// where a 3-D network leaves the slice axis alone).
    case maxPool(input: Int, window: [Int])
    /// Transposed convolution with stride equal to its window, with bias
    /// (PyTorch's ConvTranspose2d or 3d, weight [in, out] + window).
    case upConvolution(input: Int, parameter: Int, outputChannels: Int, window: [Int])
    /// `cat([centreCrop(skip), up], channels)`, the crop being up's size.
    case cropConcat(skip: Int, up: Int)
    /// Inverted dropout: each element is zeroed with probability p and the
    /// others scaled by 1/(1 − p); the identity when not training.
    case dropout(input: Int, probability: Double)

    /// The tensors this operation reads.
    public var inputs: [Int] {
      switch self {
      case .convolution(let input, _, _, _, _, _), .maxPool(let input, _), .upConvolution(let input, _, _, _),
        .dropout(let input, _), .batchNorm(let input, _, _, _):
        return [input]
      case .cropConcat(let skip, let up): return [skip, up]
      }
    }
  }

  /// A tensor's channels and its size along each spatial axis, slowest first.
  public typealias Shape = (channels: Int, extent: [Int])

  public var inputChannels: Int
  /// Spatial dimensions: 2 or 3.
  public var dimensions: Int
  public var operations: [Operation]
  public var parameters: [ParameterSpec]
  /// The running statistics of the normalisation operations.
  public var statistics: [StatisticSpec]

  public init(
    inputChannels: Int, dimensions: Int = 2, operations: [Operation], parameters: [ParameterSpec],
    statistics: [StatisticSpec] = []
  ) {
    self.inputChannels = inputChannels
    self.dimensions = dimensions
    self.operations = operations
    self.parameters = parameters
    self.statistics = statistics
  }

  /// The dropout multipliers of one training step, N×C×H×W in plain
  /// row-major order: 0 with probability p, else 1/(1 − p). Every backend
  /// uses these values, so a step's result does not depend on the backend's
  /// memory layout. `stream` tells several dropout operations apart.
  public static func dropoutMask(seed: UInt64, stream: UInt64, count: Int, probability: Double) -> [Float] {
    var rng = SplitMix64(seed: seed, stream: stream)
    let keep = Float(1 / (1 - probability))
    return (0..<count).map { _ in rng.unit() < probability ? 0 : keep }
  }

  /// Floating-point operations of one forward pass over `batch` inputs of
  /// extent `input`: 2 per multiply-add of every convolution and
  /// up-convolution (pooling, concatenation, normalisation and ReLU are not counted). A
  /// training step is about 3 times this (forward, input and weight gradients).
  public func forwardFLOPs(input: [Int], batch: Int) -> Double {
    guard let shapes = shapes(input: input) else { return 0 }
    var total = 0.0
    for (i, op) in operations.enumerated() {
      let out = shapes[i + 1]
      switch op {
      case .convolution(let input, _, _, let k, _, _):
        let taps = Array(repeating: k, count: dimensions).reduce(1, *)
        total += 2 * Double(out.channels * out.extent.reduce(1, *)) * Double(shapes[input].channels * taps)
      case .upConvolution(let input, _, _, let window):
        let source = shapes[input]
        total += 2 * Double(source.channels * source.extent.reduce(1, *)) * Double(out.channels * window.reduce(1, *))
      default: break
      }
    }
    return total * Double(batch)
  }

  /// `forwardFLOPs(input:batch:)` for a square 2-D input of `inputSize`.
  public func forwardFLOPs(inputSize: Int, batch: Int) -> Double { forwardFLOPs(input: [inputSize, inputSize], batch: batch) }

  /// Shapes of every tensor for an input of extent `input` (slowest axis
  /// first), or nil when its dimensionality is not the graph's, or a size
  /// becomes odd at a pooling or shrinks to nothing.
  public func shapes(input: [Int]) -> [Shape]? {
    guard input.count == dimensions else { return nil }
    var shapes: [Shape] = [(inputChannels, input)]
    for op in operations {
      let next: Shape
      switch op {
      case .convolution(let input, _, let channels, let kernel, _, _):
        next = (channels, shapes[input].extent.map { $0 - kernel + 1 })
      case .maxPool(let input, let window):
        let extent = shapes[input].extent
        guard zip(extent, window).allSatisfy({ $0 % $1 == 0 }) else { return nil }
        next = (shapes[input].channels, zip(extent, window).map { $0 / $1 })
      case .upConvolution(let input, _, let channels, let window):
        next = (channels, zip(shapes[input].extent, window).map { $0 * $1 })
      case .cropConcat(let skip, let up):
        let (s, u) = (shapes[skip].extent, shapes[up].extent)
        guard zip(s, u).allSatisfy({ $0 >= $1 && ($0 - $1) % 2 == 0 }) else { return nil }
        next = (shapes[skip].channels + shapes[up].channels, u)
      case .dropout(let input, _), .batchNorm(let input, _, _, _):
        next = shapes[input]
      }
      guard next.extent.allSatisfy({ $0 > 0 }) else { return nil }
      shapes.append(next)
    }
    return shapes
  }

  /// `shapes(input:)` for a square 2-D input of `inputSize`.
  public func shapes(inputSize: Int) -> [Shape]? { shapes(input: Array(repeating: inputSize, count: dimensions)) }
}
