// The whole U-Net (Ronneberger et al. 2015, Fig. 1) built from ReferenceLayers:
// a slow, obviously correct forward and backward pass in Double precision.
import Raster
import UNet

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A U-Net forward and backward pass, one named block after another.
///
/// The network, for an `Architecture` of depth D:
/// - contracting path, level l = 0…D−1: conv 3×3 + ReLU, conv 3×3 + ReLU
///   (kept as the skip of level l), max pool 2×2;
/// - bottom, level D: conv 3×3 + ReLU, conv 3×3 + ReLU, dropout (a given mask);
/// - expanding path, step j = 0…D−1 (level l = D − j): up-convolution 2×2 to
///   the channels of level l − 1, cat([crop(skip of level l − 1), up]),
///   conv 3×3 + ReLU, conv 3×3 + ReLU;
/// - head: conv 1×1 to K logits, no ReLU.
///
/// Parameters are `[[Double]]` in `architecture.parameterSpecs` order, each in
/// its spec's shape (PyTorch layouts). Input: [N, inputChannels, tile, tile];
/// logits: [N, classes, O, O] with O = `architecture.outputSize(forTile: tile)`.
struct ReferenceNetwork {
  let architecture: Architecture
  /// The position of each parameter in `parameterSpecs`, by name.
  private let parameterIndex: [String: Int]

  init(architecture: Architecture) {
    self.architecture = architecture
    var index: [String: Int] = [:]
    for (position, spec) in architecture.parameterSpecs.enumerated() {
      index[spec.name] = position
    }
    parameterIndex = index
  }

  /// One level of the contracting path.
  struct DownActivations {
    var input: ReferenceTensor
    /// After the first conv + ReLU.
    var first: ReferenceTensor
    /// After the second conv + ReLU: the skip.
    var second: ReferenceTensor
  }

  /// One step of the expanding path.
  struct UpActivations {
    var input: ReferenceTensor
    /// The up-convolution's output.
    var up: ReferenceTensor
    /// cat([crop(skip), up]).
    var concatenated: ReferenceTensor
    /// After the first conv + ReLU.
    var first: ReferenceTensor
    /// After the second conv + ReLU.
    var second: ReferenceTensor
  }

  /// Every activation the backward pass needs.
  struct Cache {
    /// Levels 0…D (the last is the bottom, before dropout).
    var down: [DownActivations]
    /// The dropout mask applied to the bottom, if any.
    var dropoutMask: [Double]?
    /// Steps 0…D−1.
    var up: [UpActivations]
    /// The head's input.
    var headInput: ReferenceTensor
    var logits: ReferenceTensor
  }

  /// The forward pass.
  ///
  /// - Parameters:
  ///   - parameters: in `architecture.parameterSpecs` order and shapes.
  ///   - input: [batch, inputChannels, tile, tile].
  ///   - dropoutMask: multipliers (0 or 1/(1 − p)) over the bottom tensor
  ///     [batch, channels(atLevel: depth), h, h], or nil for no dropout.
  /// - Returns: the logits [batch, classes, O, O] and the activations.
  func forward(parameters: [[Double]], input: [Double], batch: Int, tile: Int, dropoutMask: [Double]?)
    -> (logits: [Double], cache: Cache)
  {
    checkParameters(parameters)
    precondition(architecture.outputSize(forTile: tile) != nil, "tile \(tile) is not valid")
    var x = ReferenceTensor(
      batch: batch, channels: architecture.inputChannels, height: tile, width: tile, values: input)

    var down: [DownActivations] = []
    for level in 0...architecture.depth {
      if level > 0 { x = ReferenceLayers.maxPool2x2(x) }
      let block = downBlock(level, x, parameters)
      down.append(block)
      x = block.second
    }
    if let dropoutMask { x = ReferenceLayers.dropout(x, mask: dropoutMask) }

    var up: [UpActivations] = []
    for step in 0..<architecture.depth {
      let skip = down[architecture.depth - step - 1].second
      let block = upBlock(step, x, skip: skip, parameters)
      up.append(block)
      x = block.second
    }

    let logits = ReferenceLayers.conv2d(
      x, weight: parameter("head.weight", parameters), bias: parameter("head.bias", parameters), kernel: 1)
    let cache = Cache(down: down, dropoutMask: dropoutMask, up: up, headInput: x, logits: logits)
    return (logits.values, cache)
  }

  /// The loss (`ReferenceLayers.softmaxCrossEntropy`) of the forward pass and
  /// its gradients with respect to every parameter (in `parameterSpecs` order
  /// and shapes) and to the input.
  func lossAndGradients(
    parameters: [[Double]], input: [Double], batch: Int, tile: Int,
    labels: [Int32], weights: [Double], dropoutMask: [Double]?
  ) -> (loss: Double, logits: [Double], parameterGradients: [[Double]], inputGradient: [Double]) {
    let (logitValues, cache) = forward(
      parameters: parameters, input: input, batch: batch, tile: tile, dropoutMask: dropoutMask)
    let loss = ReferenceLayers.softmaxCrossEntropy(logits: cache.logits, labels: labels, weights: weights)
    var gradients = architecture.parameterSpecs.map { [Double](repeating: 0, count: $0.count) }
    func store(_ name: String, _ gradient: [Double]) { gradients[parameterIndex[name]!] = gradient }

    // Head.
    var g = ReferenceLayers.softmaxCrossEntropyBackward(logits: cache.logits, labels: labels, weights: weights)
    let head = ReferenceLayers.conv2dBackward(
      cache.headInput, weight: parameter("head.weight", parameters), kernel: 1, outputGradient: g)
    store("head.weight", head.weight)
    store("head.bias", head.bias)
    g = head.input

    // Expanding path, last step first; the skips' gradients are collected per level.
    var skipGradients: [ReferenceTensor?] = Array(repeating: nil, count: architecture.depth)
    for step in (0..<architecture.depth).reversed() {
      let block = cache.up[step]
      let skip = cache.down[architecture.depth - step - 1].second
      let prefix = "dec.\(step)"
      g = ReferenceLayers.reluBackward(output: block.second, outputGradient: g)
      let conv2 = ReferenceLayers.conv2dBackward(
        block.first, weight: parameter(prefix + ".2.weight", parameters), kernel: 3, outputGradient: g)
      store(prefix + ".2.weight", conv2.weight)
      store(prefix + ".2.bias", conv2.bias)
      g = ReferenceLayers.reluBackward(output: block.first, outputGradient: conv2.input)
      let conv1 = ReferenceLayers.conv2dBackward(
        block.concatenated, weight: parameter(prefix + ".0.weight", parameters), kernel: 3, outputGradient: g)
      store(prefix + ".0.weight", conv1.weight)
      store(prefix + ".0.bias", conv1.bias)
      let parts = ReferenceLayers.concatenateChannelsBackward(
        outputGradient: conv1.input, firstChannels: skip.channels)
      skipGradients[architecture.depth - step - 1] = ReferenceLayers.centreCropBackward(
        outputGradient: parts.first, height: skip.height, width: skip.width)
      let upConv = ReferenceLayers.convTranspose2dBackward(
        block.input, weight: parameter("up.\(step).weight", parameters), outputGradient: parts.second)
      store("up.\(step).weight", upConv.weight)
      store("up.\(step).bias", upConv.bias)
      g = upConv.input
    }

    // Bottom dropout.
    if let mask = cache.dropoutMask { g = ReferenceLayers.dropoutBackward(mask: mask, outputGradient: g) }

    // Contracting path, bottom first; each level's output feeds the pooling
    // below it and, above the bottom, the skip connection.
    for level in (0...architecture.depth).reversed() {
      let block = cache.down[level]
      if level < architecture.depth {
        g = ReferenceLayers.maxPool2x2Backward(block.second, outputGradient: g)
        let skipGradient = skipGradients[level]!
        for index in g.values.indices { g.values[index] += skipGradient.values[index] }
      }
      let prefix = "down.\(level)"
      g = ReferenceLayers.reluBackward(output: block.second, outputGradient: g)
      let conv2 = ReferenceLayers.conv2dBackward(
        block.first, weight: parameter(prefix + ".2.weight", parameters), kernel: 3, outputGradient: g)
      store(prefix + ".2.weight", conv2.weight)
      store(prefix + ".2.bias", conv2.bias)
      g = ReferenceLayers.reluBackward(output: block.first, outputGradient: conv2.input)
      let conv1 = ReferenceLayers.conv2dBackward(
        block.input, weight: parameter(prefix + ".0.weight", parameters), kernel: 3, outputGradient: g)
      store(prefix + ".0.weight", conv1.weight)
      store(prefix + ".0.bias", conv1.bias)
      g = conv1.input
    }
    return (loss, logitValues, gradients, g.values)
  }

  /// He initialisation (He et al. 2015): every weight drawn from a normal
  /// distribution with standard deviation √(2/fanIn), every bias 0. Parameter
  /// i draws from `SplitMix64(seed: seed, stream: i)` (Box–Muller).
  static func heInitialised(architecture: Architecture, seed: UInt64) -> [[Double]] {
    architecture.parameterSpecs.enumerated().map { position, spec in
      if spec.role == .bias { return [Double](repeating: 0, count: spec.count) }
      var generator = SplitMix64(seed: seed, stream: UInt64(position))
      let standardDeviation = (2.0 / Double(spec.fanIn)).squareRoot()
      return (0..<spec.count).map { _ in standardDeviation * generator.gaussian() }
    }
  }

  // MARK: - Blocks

  /// conv 3×3 + ReLU, conv 3×3 + ReLU with the parameters of `down.<level>`.
  private func downBlock(_ level: Int, _ input: ReferenceTensor, _ parameters: [[Double]]) -> DownActivations {
    let prefix = "down.\(level)"
    let first = convolutionReLU(input, prefix + ".0", parameters)
    let second = convolutionReLU(first, prefix + ".2", parameters)
    return DownActivations(input: input, first: first, second: second)
  }

  /// up-convolution `up.<step>`, cat([crop(skip), up]), then conv 3×3 + ReLU
  /// twice with the parameters of `dec.<step>`.
  private func upBlock(_ step: Int, _ input: ReferenceTensor, skip: ReferenceTensor, _ parameters: [[Double]])
    -> UpActivations
  {
    let up = ReferenceLayers.convTranspose2d(
      input, weight: parameter("up.\(step).weight", parameters), bias: parameter("up.\(step).bias", parameters))
    let cropped = ReferenceLayers.centreCrop(skip, height: up.height, width: up.width)
    let concatenated = ReferenceLayers.concatenateChannels(cropped, up)
    let first = convolutionReLU(concatenated, "dec.\(step).0", parameters)
    let second = convolutionReLU(first, "dec.\(step).2", parameters)
    return UpActivations(input: input, up: up, concatenated: concatenated, first: first, second: second)
  }

  private func convolutionReLU(_ input: ReferenceTensor, _ prefix: String, _ parameters: [[Double]])
    -> ReferenceTensor
  {
    ReferenceLayers.relu(
      ReferenceLayers.conv2d(
        input, weight: parameter(prefix + ".weight", parameters), bias: parameter(prefix + ".bias", parameters),
        kernel: 3))
  }

  private func parameter(_ name: String, _ parameters: [[Double]]) -> [Double] {
    guard let position = parameterIndex[name] else { preconditionFailure("no parameter \(name)") }
    return parameters[position]
  }

  private func checkParameters(_ parameters: [[Double]]) {
    let specs = architecture.parameterSpecs
    precondition(parameters.count == specs.count, "\(parameters.count) parameters, expected \(specs.count)")
    for (values, spec) in zip(parameters, specs) {
      precondition(values.count == spec.count, "\(spec.name) has \(values.count) values, shape \(spec.shape)")
    }
  }
}
