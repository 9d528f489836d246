// The reference layers and the reference U-Net checked against central finite
// differences in Double, and against a few cases worked out by hand.
import Raster
import Testing
import UNet
import _TestSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// Tolerance of every finite-difference check: the analytic derivative a and
// the central difference d = (f(x + h) − f(x − h)) / 2h, h = 1e-6, must satisfy
//   |a − d| ≤ 1e-6 · max(|a|, |d|) + 1e-8.
// The truncation error of the central difference is O(h²) ≈ 1e-12 for these
// smooth (piecewise polynomial or softmax) functions; its rounding error is
// about ε·|f|/h ≈ 2e-16 · |f| / 1e-6, below 1e-8 for |f| up to ~50, which the
// absolute term covers (the largest differences seen are 3.5e-9 in the layer
// checks, where |f| ≈ 10, and 3e-10 in the network's, where |f| ≈ 1).
// The layer checks draw inputs away from ReLU kinks (|x| ≥ 0.1) and pooling
// ties (continuous random values), where the derivative jumps; the network's
// use fixed seeds, and a pre-activation within h of 0 would show as a failure.
private let step = 1e-6
private let relativeTolerance = 1e-6
private let absoluteTolerance = 1e-8

@Suite struct ReferenceTests {
  // MARK: - Layers against finite differences

  @Test func conv2dGradients() {
    var random = SplitMix64(seed: 1)
    let input = randomTensor(batch: 2, channels: 2, height: 5, width: 6, using: &random)
    let weight = randomValues(3 * 2 * 3 * 3, using: &random)
    let bias = randomValues(3, using: &random)
    let probe = randomTensor(batch: 2, channels: 3, height: 3, width: 4, using: &random)
    let backward = ReferenceLayers.conv2dBackward(input, weight: weight, kernel: 3, outputGradient: probe)

    expectMatchesFiniteDifferences(backward.input.values, at: input.values) { values in
      dot(probe, ReferenceLayers.conv2d(tensor(like: input, values), weight: weight, bias: bias, kernel: 3))
    }
    expectMatchesFiniteDifferences(backward.weight, at: weight) { values in
      dot(probe, ReferenceLayers.conv2d(input, weight: values, bias: bias, kernel: 3))
    }
    expectMatchesFiniteDifferences(backward.bias, at: bias) { values in
      dot(probe, ReferenceLayers.conv2d(input, weight: weight, bias: values, kernel: 3))
    }
  }

  @Test func conv2dOneByOneGradients() {
    var random = SplitMix64(seed: 2)
    let input = randomTensor(batch: 2, channels: 3, height: 2, width: 3, using: &random)
    let weight = randomValues(2 * 3, using: &random)
    let bias = randomValues(2, using: &random)
    let probe = randomTensor(batch: 2, channels: 2, height: 2, width: 3, using: &random)
    let backward = ReferenceLayers.conv2dBackward(input, weight: weight, kernel: 1, outputGradient: probe)

    expectMatchesFiniteDifferences(backward.input.values, at: input.values) { values in
      dot(probe, ReferenceLayers.conv2d(tensor(like: input, values), weight: weight, bias: bias, kernel: 1))
    }
    expectMatchesFiniteDifferences(backward.weight, at: weight) { values in
      dot(probe, ReferenceLayers.conv2d(input, weight: values, bias: bias, kernel: 1))
    }
    expectMatchesFiniteDifferences(backward.bias, at: bias) { values in
      dot(probe, ReferenceLayers.conv2d(input, weight: weight, bias: values, kernel: 1))
    }
  }

  @Test func convTranspose2dGradients() {
    var random = SplitMix64(seed: 3)
    let input = randomTensor(batch: 2, channels: 3, height: 2, width: 3, using: &random)
    let weight = randomValues(3 * 2 * 2 * 2, using: &random)
    let bias = randomValues(2, using: &random)
    let probe = randomTensor(batch: 2, channels: 2, height: 4, width: 6, using: &random)
    let backward = ReferenceLayers.convTranspose2dBackward(input, weight: weight, outputGradient: probe)

    expectMatchesFiniteDifferences(backward.input.values, at: input.values) { values in
      dot(probe, ReferenceLayers.convTranspose2d(tensor(like: input, values), weight: weight, bias: bias))
    }
    expectMatchesFiniteDifferences(backward.weight, at: weight) { values in
      dot(probe, ReferenceLayers.convTranspose2d(input, weight: values, bias: bias))
    }
    expectMatchesFiniteDifferences(backward.bias, at: bias) { values in
      dot(probe, ReferenceLayers.convTranspose2d(input, weight: weight, bias: values))
    }
  }

  @Test func reluGradient() {
    var random = SplitMix64(seed: 4)
    var input = randomTensor(batch: 2, channels: 2, height: 3, width: 3, using: &random)
    // Away from the kink at 0: |x| in [0.1, 1).
    input.values = input.values.map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 }
    let probe = randomTensor(batch: 2, channels: 2, height: 3, width: 3, using: &random)
    let output = ReferenceLayers.relu(input)
    let gradient = ReferenceLayers.reluBackward(output: output, outputGradient: probe)

    #expect(input.values.contains { $0 < 0 } && input.values.contains { $0 > 0 })
    expectMatchesFiniteDifferences(gradient.values, at: input.values) { values in
      dot(probe, ReferenceLayers.relu(tensor(like: input, values)))
    }
  }

  @Test func maxPoolGradient() {
    var random = SplitMix64(seed: 5)
    let input = randomTensor(batch: 2, channels: 2, height: 4, width: 6, using: &random)
    let probe = randomTensor(batch: 2, channels: 2, height: 2, width: 3, using: &random)
    let gradient = ReferenceLayers.maxPool2x2Backward(input, outputGradient: probe)

    expectMatchesFiniteDifferences(gradient.values, at: input.values) { values in
      dot(probe, ReferenceLayers.maxPool2x2(tensor(like: input, values)))
    }
  }

  @Test func maxPoolTiesGoToTheFirstMaximum() {
    // One 2×4 image, two windows: [[1, 3], [3, 0]] and [[5, 5], [5, 5]].
    let input = ReferenceTensor(batch: 1, channels: 1, height: 2, width: 4, values: [1, 3, 5, 5, 3, 0, 5, 5])
    #expect(ReferenceLayers.maxPool2x2(input).values == [3, 5])
    let probe = ReferenceTensor(batch: 1, channels: 1, height: 1, width: 2, values: [10, 20])
    let gradient = ReferenceLayers.maxPool2x2Backward(input, outputGradient: probe)
    #expect(gradient.values == [0, 10, 20, 0, 0, 0, 0, 0])
  }

  @Test func cropAndConcatenateGradients() {
    var random = SplitMix64(seed: 6)
    // A 7×8 skip cropped to 4×4: offsets (7 − 4)/2 = 1 and (8 − 4)/2 = 2.
    let skip = randomTensor(batch: 2, channels: 2, height: 7, width: 8, using: &random)
    let up = randomTensor(batch: 2, channels: 3, height: 4, width: 4, using: &random)
    let probe = randomTensor(batch: 2, channels: 5, height: 4, width: 4, using: &random)
    func forward(_ skip: ReferenceTensor, _ up: ReferenceTensor) -> ReferenceTensor {
      ReferenceLayers.concatenateChannels(ReferenceLayers.centreCrop(skip, height: 4, width: 4), up)
    }

    let output = forward(skip, up)
    #expect(output.shape == [2, 5, 4, 4])
    #expect(output[1, 1, 0, 0] == skip[1, 1, 1, 2])
    #expect(output[1, 1, 3, 3] == skip[1, 1, 4, 5])
    #expect(output[0, 2, 2, 1] == up[0, 0, 2, 1])

    let parts = ReferenceLayers.concatenateChannelsBackward(outputGradient: probe, firstChannels: 2)
    let skipGradient = ReferenceLayers.centreCropBackward(outputGradient: parts.first, height: 7, width: 8)
    expectMatchesFiniteDifferences(skipGradient.values, at: skip.values) { values in
      dot(probe, forward(tensor(like: skip, values), up))
    }
    expectMatchesFiniteDifferences(parts.second.values, at: up.values) { values in
      dot(probe, forward(skip, tensor(like: up, values)))
    }
  }

  @Test func dropoutGradient() {
    var random = SplitMix64(seed: 7)
    let input = randomTensor(batch: 2, channels: 3, height: 2, width: 2, using: &random)
    let mask = dropoutMask(count: input.values.count, probability: 0.5, using: &random)
    let probe = randomTensor(batch: 2, channels: 3, height: 2, width: 2, using: &random)
    let gradient = ReferenceLayers.dropoutBackward(mask: mask, outputGradient: probe)

    #expect(mask.contains(0) && mask.contains(2))
    expectMatchesFiniteDifferences(gradient.values, at: input.values) { values in
      dot(probe, ReferenceLayers.dropout(tensor(like: input, values), mask: mask))
    }
  }

  @Test func batchNormGradients() {
    var random = SplitMix64(seed: 12)
    let input = randomTensor(batch: 2, channels: 3, height: 3, width: 2, using: &random)
    let scale = randomValues(3, using: &random).map { 1 + 0.5 * $0 }
    let shift = randomValues(3, using: &random)
    let probe = randomTensor(batch: 2, channels: 3, height: 3, width: 2, using: &random)
    let epsilon = 1e-5
    let backward = ReferenceLayers.batchNormBackward(input, scale: scale, epsilon: epsilon, outputGradient: probe)

    expectMatchesFiniteDifferences(backward.input.values, at: input.values) { values in
      dot(probe, ReferenceLayers.batchNorm(tensor(like: input, values), scale: scale, shift: shift, epsilon: epsilon).output)
    }
    expectMatchesFiniteDifferences(backward.scale, at: scale) { values in
      dot(probe, ReferenceLayers.batchNorm(input, scale: values, shift: shift, epsilon: epsilon).output)
    }
    expectMatchesFiniteDifferences(backward.shift, at: shift) { values in
      dot(probe, ReferenceLayers.batchNorm(input, scale: scale, shift: values, epsilon: epsilon).output)
    }
  }

  @Test func lossGradient() {
    var random = SplitMix64(seed: 8)
    var logits = randomTensor(batch: 2, channels: 3, height: 3, width: 2, using: &random)
    logits.values = logits.values.map { 4 * $0 }
    let pixels = 2 * 3 * 2
    let labels = (0..<pixels).map { _ in Int32(random.next() % 3) }
    let weights = (0..<pixels).map { _ in random.uniform(0.5, 3) }
    let gradient = ReferenceLayers.softmaxCrossEntropyBackward(logits: logits, labels: labels, weights: weights)

    expectMatchesFiniteDifferences(gradient.values, at: logits.values) { values in
      ReferenceLayers.softmaxCrossEntropy(logits: tensor(like: logits, values), labels: labels, weights: weights)
    }
  }

  // MARK: - Cases worked out by hand

  @Test func lossOfUniformLogitsIsLogKTimesTheMeanWeight() {
    // softmax of equal logits is 1/K for every class, so each pixel costs
    // w · log K and the mean is log K · mean(w); 3 classes, 2 × 1 × 2 pixels.
    let logits = ReferenceTensor(
      batch: 2, channels: 3, height: 1, width: 2, values: Array(repeating: 0.7, count: 12))
    let labels: [Int32] = [0, 2, 1, 1]
    let weights = [1.0, 2.0, 0.5, 4.5]
    let loss = ReferenceLayers.softmaxCrossEntropy(logits: logits, labels: labels, weights: weights)
    #expect(abs(loss - log(3.0) * 2.0) < 1e-14)
  }

  @Test func lossOfOnePixelByHand() {
    // Logits (0, log 3): softmax (1/4, 3/4). Label 0 with weight 2 costs
    // 2 · log 4; the gradient is 2 · ((1/4, 3/4) − (1, 0)) = (−1.5, 1.5).
    let logits = ReferenceTensor(batch: 1, channels: 2, height: 1, width: 1, values: [0, log(3.0)])
    let loss = ReferenceLayers.softmaxCrossEntropy(logits: logits, labels: [0], weights: [2])
    #expect(abs(loss - 2 * log(4.0)) < 1e-14)
    let gradient = ReferenceLayers.softmaxCrossEntropyBackward(logits: logits, labels: [0], weights: [2])
    #expect(abs(gradient.values[0] - -1.5) < 1e-14)
    #expect(abs(gradient.values[1] - 1.5) < 1e-14)
  }

  @Test func lossIsStableForLargeLogits() {
    // Logits (1000, 0): softmax (1, e^-1000); label 1 costs 1000 exactly.
    let logits = ReferenceTensor(batch: 1, channels: 2, height: 1, width: 1, values: [1000, 0])
    #expect(ReferenceLayers.softmaxCrossEntropy(logits: logits, labels: [1], weights: [1]) == 1000)
    let gradient = ReferenceLayers.softmaxCrossEntropyBackward(logits: logits, labels: [1], weights: [1])
    #expect(gradient.values == [1, -1])
  }

  @Test func convTranspose2dByHand() {
    // One input channel, one output channel, two pixels (1, 2); W = [[1, 2], [3, 4]],
    // b = 10: each pixel becomes its own 2×2 block b + in · W.
    let line = ReferenceTensor(batch: 1, channels: 1, height: 1, width: 2, values: [1, 2])
    let lineOutput = ReferenceLayers.convTranspose2d(line, weight: [1, 2, 3, 4], bias: [10])
    #expect(lineOutput.shape == [1, 1, 2, 4])
    #expect(lineOutput.values == [11, 12, 12, 14, 13, 14, 16, 18])

    // Two input and two output channels, one pixel (1, 10): W[i, o, ky, kx]
    // holds 1…16 in [in, out, 2, 2] order, so output o is
    // W[0, o] + 10 · W[1, o] + b[o] — an [out, in] layout would mix them differently.
    let pixel = ReferenceTensor(batch: 1, channels: 2, height: 1, width: 1, values: [1, 10])
    let weight = (1...16).map(Double.init)
    let pixelOutput = ReferenceLayers.convTranspose2d(pixel, weight: weight, bias: [0.5, -1])
    #expect(pixelOutput.shape == [1, 2, 2, 2])
    #expect(pixelOutput.values == [91.5, 102.5, 113.5, 124.5, 134, 145, 156, 167])
  }

  @Test func batchNormByHand() {
    // One channel of 1, 2, 3, 6 (a batch of 2 × 1 × 1 × 2): mean 3, biased
    // variance (4 + 1 + 0 + 9)/4 = 3.5. With ε = 0.5 the divisor is √4 = 2,
    // so γ = 2, β = 1 give 2·(x − 3)/2 + 1 = x − 2.
    let input = ReferenceTensor(batch: 2, channels: 1, height: 1, width: 2, values: [1, 2, 3, 6])
    let (output, mean, variance) = ReferenceLayers.batchNorm(input, scale: [2], shift: [1], epsilon: 0.5)
    #expect(mean == [3] && variance == [3.5])
    #expect(output.values == [-1, 0, 1, 4])
    // With given statistics (inference): mean 1, variance 3.5, β = −1: x − 2 again.
    let inference = ReferenceLayers.batchNorm(input, mean: [1], variance: [3.5], scale: [2], shift: [-1], epsilon: 0.5)
    #expect(inference.values == [-1, 0, 1, 4])
  }

  @Test func conv2dByHand() {
    // A 3×3 image 1…9 and the 2×2 kernel [[1, 0], [0, −1]] (cross-correlation,
    // not flipped): each output is in[y, x] − in[y + 1, x + 1] + b = −4 + 1.
    let input = ReferenceTensor(batch: 1, channels: 1, height: 3, width: 3, values: (1...9).map(Double.init))
    let output = ReferenceLayers.conv2d(input, weight: [1, 0, 0, -1], bias: [1], kernel: 2)
    #expect(output.shape == [1, 1, 2, 2])
    #expect(output.values == [-3, -3, -3, -3])
  }

  // MARK: - The whole network

  @Test(.slow, arguments: [1, 2], [NormLayer.none, .batch]) func networkGradients(depth: Int, normLayer: NormLayer) throws {
    let architecture = Architecture(
      inputChannels: 1, classes: 2, baseChannels: 2, depth: depth, dropout: 0.5, normLayer: normLayer)
    let tile = try #require((1...100).first { architecture.outputSize(forTile: $0) != nil })
    let output = try #require(architecture.outputSize(forTile: tile))
    let batch = 2
    let network = ReferenceNetwork(architecture: architecture)
    let specs = architecture.parameterSpecs

    var random = SplitMix64(seed: 100 + UInt64(depth))
    var parameters = ReferenceNetwork.heInitialised(architecture: architecture, seed: 9)
    // Non-zero biases and shifts and scales other than 1, so that their use
    // in the forward pass is exercised too.
    for (index, spec) in specs.enumerated() where [.bias, .normShift, .normScale].contains(spec.role) {
      parameters[index] = randomValues(spec.count, using: &random).map { (spec.role == .normScale ? 1 : 0) + 0.1 * $0 }
    }
    let input = randomValues(batch * architecture.inputChannels * tile * tile, using: &random)
    let pixels = batch * output * output
    let labels = (0..<pixels).map { _ in Int32(random.next() % UInt64(architecture.classes)) }
    let weights = (0..<pixels).map { _ in random.uniform(0.5, 3) }
    let bottom = bottomSize(architecture, tile: tile)
    let mask = dropoutMask(
      count: batch * architecture.channels(atLevel: depth) * bottom * bottom, probability: 0.5, using: &random)

    let result = network.lossAndGradients(
      parameters: parameters, input: input, batch: batch, tile: tile,
      labels: labels, weights: weights, dropoutMask: mask)
    #expect(result.logits.count == batch * architecture.classes * output * output)
    #expect(zip(result.parameterGradients, specs).allSatisfy { $0.count == $1.count })
    #expect(result.inputGradient.count == input.count)

    func loss(_ parameters: [[Double]], _ input: [Double]) -> Double {
      let logits = network.forward(
        parameters: parameters, input: input, batch: batch, tile: tile, dropoutMask: mask
      ).cache.logits
      return ReferenceLayers.softmaxCrossEntropy(logits: logits, labels: labels, weights: weights)
    }
    #expect(result.loss == loss(parameters, input))

    // Two entries of every parameter tensor, and four of the input.
    for (index, spec) in specs.enumerated() {
      let entries = (0..<2).map { _ in Int(random.next() % UInt64(spec.count)) }
      expectMatchesFiniteDifferences(
        result.parameterGradients[index], at: parameters[index], entries: entries, spec.name
      ) { values in
        var changed = parameters
        changed[index] = values
        return loss(changed, input)
      }
    }
    let inputEntries = (0..<4).map { _ in Int(random.next() % UInt64(input.count)) }
    expectMatchesFiniteDifferences(result.inputGradient, at: input, entries: inputEntries, "input") { values in
      loss(parameters, values)
    }
    // The check means something only if gradients reach the first layer.
    #expect(result.parameterGradients[0].contains { $0 != 0 })
  }

  @Test func networkWithoutDropoutAndItsShapes() throws {
    let architecture = Architecture(inputChannels: 2, classes: 3, baseChannels: 2, depth: 1, dropout: 0)
    let tile = 20
    let output = try #require(architecture.outputSize(forTile: tile))
    let network = ReferenceNetwork(architecture: architecture)
    let parameters = ReferenceNetwork.heInitialised(architecture: architecture, seed: 1)
    var random = SplitMix64(seed: 11)
    let input = randomValues(1 * 2 * tile * tile, using: &random)
    let (logits, cache) = network.forward(
      parameters: parameters, input: input, batch: 1, tile: tile, dropoutMask: nil)
    #expect(cache.logits.shape == [1, 3, output, output])
    #expect(logits == cache.logits.values)
    // A mask of ones is the same as no dropout.
    let ones = [Double](repeating: 1, count: cache.down[1].second.values.count)
    let masked = network.forward(parameters: parameters, input: input, batch: 1, tile: tile, dropoutMask: ones)
    #expect(masked.logits == logits)
  }

  @Test func heInitialisation() {
    let architecture = Architecture(inputChannels: 1, classes: 2, baseChannels: 16, depth: 1, dropout: 0.5)
    let parameters = ReferenceNetwork.heInitialised(architecture: architecture, seed: 42)
    #expect(parameters == ReferenceNetwork.heInitialised(architecture: architecture, seed: 42))
    #expect(parameters != ReferenceNetwork.heInitialised(architecture: architecture, seed: 43))
    for (values, spec) in zip(parameters, architecture.parameterSpecs) {
      #expect(values.count == spec.count, "\(spec.name)")
      if spec.role == .bias { #expect(values.allSatisfy { $0 == 0 }, "\(spec.name)") }
    }
    // down.1.2.weight: 32 · 32 · 9 = 9216 draws with standard deviation
    // √(2/288) ≈ 0.0833; the sample's is within 3% of it (its own relative
    // error is about 1/√(2 · 9216) ≈ 0.7%).
    let specs = architecture.parameterSpecs
    let index = specs.firstIndex { $0.name == "down.1.2.weight" }!
    let values = parameters[index]
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    let expected = (2.0 / Double(specs[index].fanIn)).squareRoot()
    #expect(abs(variance.squareRoot() / expected - 1) < 0.03)
    // The sample mean is within four standard errors of 0.
    #expect(abs(mean) < 4 * expected / Double(values.count).squareRoot())
  }
}

// MARK: - Helpers

/// Checks `analytic` against central differences of `f` at `point`, entry by
/// entry (all entries unless `entries` names some), with the tolerance above.
private func expectMatchesFiniteDifferences(
  _ analytic: [Double], at point: [Double], entries: [Int]? = nil, _ name: String = "",
  sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Double]) -> Double
) {
  #expect(analytic.count == point.count, sourceLocation: sourceLocation)
  for index in entries ?? Array(point.indices) {
    var plus = point
    plus[index] += step
    var minus = point
    minus[index] -= step
    let numeric = (f(plus) - f(minus)) / (2 * step)
    let tolerance = relativeTolerance * max(abs(analytic[index]), abs(numeric)) + absoluteTolerance
    #expect(
      abs(analytic[index] - numeric) <= tolerance,
      "\(name)[\(index)]: analytic \(analytic[index]), finite difference \(numeric)",
      sourceLocation: sourceLocation)
  }
}

/// Σ probe · output: a scalar whose gradient with respect to the output is `probe`.
private func dot(_ probe: ReferenceTensor, _ output: ReferenceTensor) -> Double {
  precondition(probe.shape == output.shape, "probe shape \(probe.shape), output \(output.shape)")
  return zip(probe.values, output.values).reduce(0) { $0 + $1.0 * $1.1 }
}

private func tensor(like shape: ReferenceTensor, _ values: [Double]) -> ReferenceTensor {
  ReferenceTensor(
    batch: shape.batch, channels: shape.channels, height: shape.height, width: shape.width, values: values)
}

/// Values uniform in [−1, 1).
private func randomValues(_ count: Int, using random: inout SplitMix64) -> [Double] {
  (0..<count).map { _ in random.uniform(-1, 1) }
}

private func randomTensor(batch: Int, channels: Int, height: Int, width: Int, using random: inout SplitMix64)
  -> ReferenceTensor
{
  ReferenceTensor(
    batch: batch, channels: channels, height: height, width: width,
    values: randomValues(batch * channels * height * width, using: &random))
}

/// A dropout mask: 0 with probability p, else 1/(1 − p).
private func dropoutMask(count: Int, probability p: Double, using random: inout SplitMix64) -> [Double] {
  (0..<count).map { _ in random.unit() < p ? 0 : 1 / (1 - p) }
}

/// The side of the bottom tensor for a valid tile.
private func bottomSize(_ architecture: Architecture, tile: Int) -> Int {
  var size = tile
  for _ in 0..<architecture.depth { size = (size - 4) / 2 }
  return size - 4
}
