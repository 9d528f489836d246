import _Support

/// A network as a list of operations over numbered tensors: tensor 0 is the
/// input, operation i writes tensor i + 1, and the last tensor is the output
/// (the logits). The model code describes the U-Net in these terms; a backend
/// turns the description into something that runs. All tensors are N×C×H×W.
public struct Graph: Sendable, Hashable {
  public enum Operation: Sendable, Hashable {
    /// Valid (unpadded) k×k convolution, with bias or without (before a
    /// normalisation), optionally followed by ReLU. `parameter` indexes the
    /// weight in the parameter list; the bias, if any, follows it.
    case convolution(input: Int, parameter: Int, outputChannels: Int, kernel: Int, bias: Bool, relu: Bool)
    /// Batch normalisation (`NormLayer.batch`), optionally followed by ReLU:
    /// batch statistics and an update of the running statistics in a
    /// training graph, the running statistics otherwise. `parameter`
    /// indexes the scale γ (the shift β follows it); `statistics` indexes
    /// the running mean in `Graph.statistics` (the variance follows it).
    case batchNorm(input: Int, parameter: Int, statistics: Int, relu: Bool)
    /// 2×2 max pooling with stride 2.
    case maxPool(input: Int)
    /// 2×2 transposed convolution with stride 2, with bias (PyTorch's
    /// ConvTranspose2d, weight [in, out, 2, 2]).
    case upConvolution(input: Int, parameter: Int, outputChannels: Int)
    /// `cat([centreCrop(skip), up], channels)`, the crop being up's size.
    case cropConcat(skip: Int, up: Int)
    /// Inverted dropout: each element is zeroed with probability p and the
    /// others scaled by 1/(1 − p); the identity when not training.
    case dropout(input: Int, probability: Double)

    /// The tensors this operation reads.
    public var inputs: [Int] {
      switch self {
      case .convolution(let input, _, _, _, _, _), .maxPool(let input), .upConvolution(let input, _, _),
        .dropout(let input, _), .batchNorm(let input, _, _, _):
        return [input]
      case .cropConcat(let skip, let up): return [skip, up]
      }
    }
  }

  public var inputChannels: Int
  public var operations: [Operation]
  public var parameters: [ParameterSpec]
  /// The running statistics of the normalisation operations.
  public var statistics: [StatisticSpec]

  public init(inputChannels: Int, operations: [Operation], parameters: [ParameterSpec], statistics: [StatisticSpec] = []) {
    self.inputChannels = inputChannels
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
  /// `inputSize`: 2 per multiply-add of every convolution and
  /// up-convolution (pooling, concatenation, normalisation and ReLU are not counted). A
  /// training step is about 3 times this (forward, input and weight gradients).
  public func forwardFLOPs(inputSize: Int, batch: Int) -> Double {
    guard let shapes = shapes(inputSize: inputSize) else { return 0 }
    var total = 0.0
    for (i, op) in operations.enumerated() {
      let out = shapes[i + 1]
      switch op {
      case .convolution(let input, _, _, let k, _, _):
        total += 2 * Double(out.channels * out.size * out.size) * Double(shapes[input].channels * k * k)
      case .upConvolution(let input, _, _):
        let source = shapes[input]
        total += 2 * Double(source.channels * source.size * source.size) * Double(out.channels * 4)
      default: break
      }
    }
    return total * Double(batch)
  }

  /// Shapes (channels, size) of every tensor for a square input of `size`, or
  /// nil when a size becomes odd at a pooling or shrinks to nothing.
  public func shapes(inputSize: Int) -> [(channels: Int, size: Int)]? {
    var shapes = [(channels: inputChannels, size: inputSize)]
    for op in operations {
      let next: (channels: Int, size: Int)
      switch op {
      case .convolution(let input, _, let channels, let kernel, _, _):
        next = (channels, shapes[input].size - kernel + 1)
      case .maxPool(let input):
        guard shapes[input].size % 2 == 0 else { return nil }
        next = (shapes[input].channels, shapes[input].size / 2)
      case .upConvolution(let input, _, let channels):
        next = (channels, shapes[input].size * 2)
      case .cropConcat(let skip, let up):
        guard shapes[skip].size >= shapes[up].size, (shapes[skip].size - shapes[up].size) % 2 == 0 else { return nil }
        next = (shapes[skip].channels + shapes[up].channels, shapes[up].size)
      case .dropout(let input, _), .batchNorm(let input, _, _, _):
        next = shapes[input]
      }
      guard next.size > 0 else { return nil }
      shapes.append(next)
    }
    return shapes
  }
}
