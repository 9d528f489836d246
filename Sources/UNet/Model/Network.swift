import _Support

/// The U-Net of Ronneberger et al. (2015, Fig. 1) as named blocks: a
/// contracting path of `depth` down blocks (two 3×3 convolutions with ReLU,
/// then 2×2 max pooling), a bottom block with dropout, an expanding path of
/// `depth` up blocks (2×2 up-convolution halving the channels, concatenation
/// with the centre-cropped skip tensor, two 3×3 convolutions with ReLU), and a
/// 1×1 convolution to K classes. With normalisation layers each 3×3
/// convolution (then without bias) is followed by the normalisation, then ReLU.
extension Architecture {
  /// The network as backend operations; parameter indices follow `parameterSpecs`.
  public var graph: Graph {
    var ops: [Graph.Operation] = []
    var parameter = 0
    var statistics = 0
    /// Appends an operation and returns its output tensor.
    func add(_ op: Graph.Operation) -> Int {
      ops.append(op)
      return ops.count
    }
    func convolution(_ input: Int, _ channels: Int, kernel: Int = 3, relu: Bool = true) -> Int {
      defer { parameter += 2 }
      return add(
        .convolution(input: input, parameter: parameter, outputChannels: channels, kernel: kernel, bias: true, relu: relu))
    }
    /// A 3×3 convolution with ReLU, or without bias and with its
    /// normalisation between them.
    func convolutionUnit(_ input: Int, _ channels: Int) -> Int {
      guard normLayer == .batch else { return convolution(input, channels) }
      let x = add(
        .convolution(input: input, parameter: parameter, outputChannels: channels, kernel: 3, bias: false, relu: false))
      defer {
        parameter += 3
        statistics += 2
      }
      return add(.batchNorm(input: x, parameter: parameter + 1, statistics: statistics, relu: true))
    }
    /// Two 3×3 convolutions with ReLU.
    func block(_ input: Int, _ channels: Int) -> Int {
      convolutionUnit(convolutionUnit(input, channels), channels)
    }

    var x = 0
    var skips: [Int] = []
    for level in 0..<depth {
      let skip = block(x, channels(atLevel: level))
      skips.append(skip)
      x = add(.maxPool(input: skip, window: poolingWindow(level: level)))
    }
    x = block(x, channels(atLevel: depth))
    x = add(.dropout(input: x, probability: dropout))
    for level in stride(from: depth - 1, through: 0, by: -1) {
      let up = add(
        .upConvolution(
          input: x, parameter: parameter, outputChannels: channels(atLevel: level), window: poolingWindow(level: level)))
      parameter += 2
      x = block(add(.cropConcat(skip: skips[level], up: up)), channels(atLevel: level))
    }
    _ = convolution(x, classes, kernel: 1, relu: false)
    return Graph(
      inputChannels: inputChannels, dimensions: dimensions, operations: ops, parameters: parameterSpecs, statistics: statisticSpecs)
  }

  /// He initialisation: weights from N(0, 2/N) with N the fan-in, biases 0,
  /// drawn from `seed` (each tensor from its own stream, so the values do
  /// not depend on the order they are drawn in); normalisation scales 1 and
  /// shifts 0, as PyTorch starts them.
  public func initialParameters(seed: UInt64) -> [[Float]] {
    parameterSpecs.indices.map { initialParameter($0, seed: seed) }
  }

  /// Parameter `index` of `initialParameters(seed:)` alone.
  public func initialParameter(_ index: Int, seed: UInt64) -> [Float] {
    let spec = parameterSpecs[index]
    switch spec.role {
    case .bias, .normShift: return [Float](repeating: 0, count: spec.count)
    case .normScale: return [Float](repeating: 1, count: spec.count)
    case .convolutionWeight, .upConvolutionWeight: break
    }
    var rng = SplitMix64(seed: seed, stream: UInt64(index))
    let std = (2 / Double(spec.fanIn)).squareRoot()
    return (0..<spec.count).map { _ in Float(std * rng.gaussian()) }
  }

  /// A new network's running statistics: means 0, variances 1.
  public var initialStatistics: RunningStatistics { .initial(statisticSpecs) }
}
