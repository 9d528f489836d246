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
/// With `normLayer` batch each 3×3 "conv + ReLU" is conv (no bias), batch
/// normalisation (`ReferenceLayers.batchNorm`, ε = 1e-5), ReLU, with the
/// parameters named as PyTorch's `nn.Sequential(Conv2d, BatchNorm2d, ReLU,
/// Conv2d, BatchNorm2d, ReLU)`: `.0`, `.1`, `.3`, `.4` (else `.0` and `.2`).
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

  /// A batch normalisation's input (its convolution's output) and the
  /// statistics it normalised with.
  struct NormActivations {
    var input: ReferenceTensor
    var mean: [Double]
    /// Biased (the batch's, in training) or running (in inference).
    var variance: [Double]
  }

  /// One level of the contracting path.
  struct DownActivations {
    var input: ReferenceTensor
    /// After the first conv + ReLU.
    var first: ReferenceTensor
    /// After the second conv + ReLU: the skip.
    var second: ReferenceTensor
    /// The two normalisations, with `normLayer` batch.
    var norms: [NormActivations] = []
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
    var norms: [NormActivations] = []
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

    /// The normalisations' statistics in `Architecture.statisticSpecs`
    /// order: per layer its mean, then its variance.
    var normStatistics: [[Double]] {
      (down.flatMap(\.norms) + up.flatMap(\.norms)).flatMap { [$0.mean, $0.variance] }
    }
  }

  /// The forward pass.
  ///
  /// - Parameters:
  ///   - parameters: in `architecture.parameterSpecs` order and shapes.
  ///   - input: [batch, inputChannels, tile, tile].
  ///   - dropoutMask: multipliers (0 or 1/(1 − p)) over the bottom tensor
  ///     [batch, channels(atLevel: depth), h, h], or nil for no dropout.
  ///   - statistics: running statistics (in `statisticSpecs` order) for
  ///     batch normalisation in inference; nil normalises with the batch's.
  /// - Returns: the logits [batch, classes, O, O] and the activations.
  func forward(
    parameters: [[Double]], input: [Double], batch: Int, tile: Int, dropoutMask: [Double]?,
    statistics: [[Double]]? = nil
  ) -> (logits: [Double], cache: Cache) {
    checkParameters(parameters)
    precondition(architecture.outputSize(forTile: tile) != nil, "tile \(tile) is not valid")
    var x = ReferenceTensor(
      batch: batch, channels: architecture.inputChannels, height: tile, width: tile, values: input)

    var running = statistics.map { ArraySlice($0) }
    var down: [DownActivations] = []
    for level in 0...architecture.depth {
      if level > 0 { x = ReferenceLayers.maxPool2x2(x) }
      let block = downBlock(level, x, parameters, &running)
      down.append(block)
      x = block.second
    }
    if let dropoutMask { x = ReferenceLayers.dropout(x, mask: dropoutMask) }

    var up: [UpActivations] = []
    for step in 0..<architecture.depth {
      let skip = down[architecture.depth - step - 1].second
      let block = upBlock(step, x, skip: skip, parameters, &running)
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
      g = unitBackward(prefix, second: true, block.first, block.second, block.norms.last, g, parameters, store)
      g = unitBackward(prefix, second: false, block.concatenated, block.first, block.norms.first, g, parameters, store)
      let parts = ReferenceLayers.concatenateChannelsBackward(
        outputGradient: g, firstChannels: skip.channels)
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
      g = unitBackward(prefix, second: true, block.first, block.second, block.norms.last, g, parameters, store)
      g = unitBackward(prefix, second: false, block.input, block.first, block.norms.first, g, parameters, store)
    }
    return (loss, logitValues, gradients, g.values)
  }

  /// He initialisation (He et al. 2015): every weight drawn from a normal
  /// distribution with standard deviation √(2/fanIn), every bias 0. Parameter
  /// i draws from `SplitMix64(seed: seed, stream: i)` (Box–Muller).
  /// Normalisation scales start at 1 and shifts at 0 (PyTorch's).
  static func heInitialised(architecture: Architecture, seed: UInt64) -> [[Double]] {
    architecture.parameterSpecs.enumerated().map { position, spec in
      if spec.role == .bias || spec.role == .normShift { return [Double](repeating: 0, count: spec.count) }
      if spec.role == .normScale { return [Double](repeating: 1, count: spec.count) }
      var generator = SplitMix64(seed: seed, stream: UInt64(position))
      let standardDeviation = (2.0 / Double(spec.fanIn)).squareRoot()
      return (0..<spec.count).map { _ in standardDeviation * generator.gaussian() }
    }
  }

  // MARK: - Blocks

  /// The names of a block's layers: its two convolutions and, with batch
  /// normalisation, its two normalisations (PyTorch's Sequential indices).
  private func layerNames(_ prefix: String) -> (conv1: String, norm1: String, conv2: String, norm2: String) {
    architecture.normLayer == .batch
      ? (prefix + ".0", prefix + ".1", prefix + ".3", prefix + ".4") : (prefix + ".0", "", prefix + ".2", "")
  }

  /// conv 3×3 + ReLU, conv 3×3 + ReLU with the parameters of `down.<level>`.
  private func downBlock(
    _ level: Int, _ input: ReferenceTensor, _ parameters: [[Double]], _ running: inout ArraySlice<[Double]>?
  ) -> DownActivations {
    let names = layerNames("down.\(level)")
    let (first, norm1) = unit(input, names.conv1, names.norm1, parameters, &running)
    let (second, norm2) = unit(first, names.conv2, names.norm2, parameters, &running)
    return DownActivations(input: input, first: first, second: second, norms: [norm1, norm2].compactMap { $0 })
  }

  /// up-convolution `up.<step>`, cat([crop(skip), up]), then conv 3×3 + ReLU
  /// twice with the parameters of `dec.<step>`.
  private func upBlock(
    _ step: Int, _ input: ReferenceTensor, skip: ReferenceTensor, _ parameters: [[Double]],
    _ running: inout ArraySlice<[Double]>?
  ) -> UpActivations {
    let up = ReferenceLayers.convTranspose2d(
      input, weight: parameter("up.\(step).weight", parameters), bias: parameter("up.\(step).bias", parameters))
    let cropped = ReferenceLayers.centreCrop(skip, height: up.height, width: up.width)
    let concatenated = ReferenceLayers.concatenateChannels(cropped, up)
    let names = layerNames("dec.\(step)")
    let (first, norm1) = unit(concatenated, names.conv1, names.norm1, parameters, &running)
    let (second, norm2) = unit(first, names.conv2, names.norm2, parameters, &running)
    return UpActivations(
      input: input, up: up, concatenated: concatenated, first: first, second: second,
      norms: [norm1, norm2].compactMap { $0 })
  }

  /// conv 3×3 with bias + ReLU; or, with batch normalisation, conv 3×3
  /// without bias, batch normalisation (with the next two of `running`, the
  /// running mean and variance, when given) + ReLU.
  private func unit(
    _ input: ReferenceTensor, _ conv: String, _ norm: String, _ parameters: [[Double]],
    _ running: inout ArraySlice<[Double]>?
  ) -> (ReferenceTensor, NormActivations?) {
    guard architecture.normLayer == .batch else {
      let output = ReferenceLayers.conv2d(
        input, weight: parameter(conv + ".weight", parameters), bias: parameter(conv + ".bias", parameters), kernel: 3)
      return (ReferenceLayers.relu(output), nil)
    }
    let zeros = [Double](repeating: 0, count: parameter(norm + ".weight", parameters).count)
    let convolved = ReferenceLayers.conv2d(input, weight: parameter(conv + ".weight", parameters), bias: zeros, kernel: 3)
    let scale = parameter(norm + ".weight", parameters)
    let shift = parameter(norm + ".bias", parameters)
    if var statistics = running {
      let (mean, variance) = (statistics.removeFirst(), statistics.removeFirst())
      running = statistics
      let output = ReferenceLayers.batchNorm(
        convolved, mean: mean, variance: variance, scale: scale, shift: shift, epsilon: Self.epsilon)
      return (ReferenceLayers.relu(output), NormActivations(input: convolved, mean: mean, variance: variance))
    }
    let (output, mean, variance) = ReferenceLayers.batchNorm(convolved, scale: scale, shift: shift, epsilon: Self.epsilon)
    return (ReferenceLayers.relu(output), NormActivations(input: convolved, mean: mean, variance: variance))
  }

  /// PyTorch's BatchNorm2d default ε.
  static let epsilon = 1e-5

  /// The backward pass of one `unit` (training mode): from the gradient of
  /// its ReLU output `output` to that of its input `input`, storing its
  /// parameters' gradients. `second` picks the block's second unit.
  private func unitBackward(
    _ prefix: String, second: Bool, _ input: ReferenceTensor, _ output: ReferenceTensor, _ norm: NormActivations?,
    _ outputGradient: ReferenceTensor, _ parameters: [[Double]], _ store: (String, [Double]) -> Void
  ) -> ReferenceTensor {
    let names = layerNames(prefix)
    let (conv, normName) = second ? (names.conv2, names.norm2) : (names.conv1, names.norm1)
    var g = ReferenceLayers.reluBackward(output: output, outputGradient: outputGradient)
    if let norm {
      let normalised = ReferenceLayers.batchNormBackward(
        norm.input, scale: parameter(normName + ".weight", parameters), epsilon: Self.epsilon, outputGradient: g)
      store(normName + ".weight", normalised.scale)
      store(normName + ".bias", normalised.shift)
      g = normalised.input
    }
    let convolution = ReferenceLayers.conv2dBackward(
      input, weight: parameter(conv + ".weight", parameters), kernel: 3, outputGradient: g)
    store(conv + ".weight", convolution.weight)
    if norm == nil { store(conv + ".bias", convolution.bias) }
    return convolution.input
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
