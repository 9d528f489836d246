import Raster

/// A network as a list of operations over numbered tensors: tensor 0 is the
/// input, operation i writes tensor i + 1, and the last tensor is the output
/// (the logits). The model code describes the U-Net in these terms; a backend
/// turns the description into something that runs. All tensors are N×C×H×W.
public struct Graph: Sendable, Hashable {
  public enum Operation: Sendable, Hashable {
    /// Valid (unpadded) k×k convolution with bias, optionally followed by ReLU.
    /// `parameter` indexes the weight in the parameter list; the bias follows it.
    case convolution(input: Int, parameter: Int, outputChannels: Int, kernel: Int, relu: Bool)
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
      case .convolution(let input, _, _, _, _), .maxPool(let input), .upConvolution(let input, _, _),
        .dropout(let input, _):
        return [input]
      case .cropConcat(let skip, let up): return [skip, up]
      }
    }
  }

  public var inputChannels: Int
  public var operations: [Operation]
  public var parameters: [ParameterSpec]

  public init(inputChannels: Int, operations: [Operation], parameters: [ParameterSpec]) {
    self.inputChannels = inputChannels
    self.operations = operations
    self.parameters = parameters
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
  /// up-convolution (pooling, concatenation and ReLU are not counted). A
  /// training step is about 3 times this (forward, input and weight gradients).
  public func forwardFLOPs(inputSize: Int, batch: Int) -> Double {
    guard let shapes = shapes(inputSize: inputSize) else { return 0 }
    var total = 0.0
    for (i, op) in operations.enumerated() {
      let out = shapes[i + 1]
      switch op {
      case .convolution(let input, _, _, let k, _):
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
      case .convolution(let input, _, let channels, let kernel, _):
        next = (channels, shapes[input].size - kernel + 1)
      case .maxPool(let input):
        guard shapes[input].size % 2 == 0 else { return nil }
        next = (shapes[input].channels, shapes[input].size / 2)
      case .upConvolution(let input, _, let channels):
        next = (channels, shapes[input].size * 2)
      case .cropConcat(let skip, let up):
        guard shapes[skip].size >= shapes[up].size, (shapes[skip].size - shapes[up].size) % 2 == 0 else { return nil }
        next = (shapes[skip].channels + shapes[up].channels, shapes[up].size)
      case .dropout(let input, _):
        next = shapes[input]
      }
      guard next.size > 0 else { return nil }
      shapes.append(next)
    }
    return shapes
  }
}

/// Where the network runs. The boundary is deliberately narrow: a backend
/// compiles a `Graph` for one batch and input size and then exchanges only
/// plain arrays with the model code (input, logits, their gradient, and
/// parameters in PyTorch's layouts), so that another backend (a GPU one) can
/// be added without touching the model, loss, trainer or checkpoints.
public protocol Backend: Sendable {
  /// A short name for logs, such as "oneDNN 2.6 (jit:avx512_core)".
  var name: String { get }
  /// Compiles `graph` for inputs of `batch`×C×`inputSize`×`inputSize`.
  /// With `training` false no gradient buffers are made and dropout is off.
  func compile(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws -> any CompiledGraph
}

/// One primitive that runs in every step of a compiled graph, with the
/// implementation the backend chose for it.
public struct Kernel: Sendable, Hashable, Codable {
  /// What it computes, such as "convolution 1 (1→64, 572→570) weight gradient".
  public var operation: String
  /// The backend's name for the implementation, such as "jit:avx2".
  public var implementation: String
  /// Whether it is a slow reference implementation (oneDNN's "ref:…").
  public var isReference: Bool { implementation.hasPrefix("ref") }

  public init(operation: String, implementation: String) {
    self.operation = operation
    self.implementation = implementation
  }
}

/// A graph ready to run. Parameters, their gradients and the optimiser's
/// momentum live in the backend, in whatever layout it prefers; they cross the
/// boundary in the `ParameterSpec` shapes (PyTorch's layouts), row-major.
public protocol CompiledGraph: AnyObject {
  var batch: Int { get }
  var inputSize: Int { get }
  /// Output (channels, size): K classes at the output size.
  var outputShape: (channels: Int, size: Int) { get }
  /// The primitives that run in every step and their implementations.
  var kernels: [Kernel] { get }

  func setParameters(_ values: [[Float]])
  func parameters() -> [[Float]]
  func setMomentum(_ values: [[Float]])
  func momentum() -> [[Float]]
  /// The gradients of the last `backward` (for tests).
  func gradients() -> [[Float]]

  /// Runs the network on N×C×S×S plain input; returns N×K×O×O logits.
  /// `dropoutSeed` draws the dropout mask (training graphs only).
  func forward(_ input: [Float], dropoutSeed: UInt64) -> [Float]
  /// Back-propagates the gradient of the loss with respect to the logits of
  /// the last `forward`, leaving the parameter gradients in the backend.
  func backward(_ logitGradient: [Float])
  /// SGD with momentum as in PyTorch: v ← μ·v + g, p ← p − η·v.
  func sgdStep(learningRate: Float, momentum: Float)
}
