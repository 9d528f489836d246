// Batch normalisation (Ioffe and Szegedy 2015, arXiv:1502.03167) as PyTorch's
// BatchNorm2d computes it, written out per channel in Double: slow, plain
// loops, checked against finite differences in ReferenceTests.

extension ReferenceLayers {
  /// Training-mode batch normalisation: per channel c, the mean μ_c and the
  /// biased variance σ²_c over the batch and every pixel (m = N·H·W values),
  /// then out[n,c,y,x] = γ_c · (in[n,c,y,x] − μ_c) / √(σ²_c + ε) + β_c.
  ///
  /// - Returns: the output, and each channel's μ and biased σ².
  static func batchNorm(_ input: ReferenceTensor, scale: [Double], shift: [Double], epsilon: Double)
    -> (output: ReferenceTensor, mean: [Double], variance: [Double])
  {
    let (mean, variance) = channelStatistics(input)
    return (batchNorm(input, mean: mean, variance: variance, scale: scale, shift: shift, epsilon: epsilon), mean, variance)
  }

  /// Batch normalisation with given statistics (inference, eval mode: the
  /// running mean and variance).
  static func batchNorm(
    _ input: ReferenceTensor, mean: [Double], variance: [Double], scale: [Double], shift: [Double], epsilon: Double
  ) -> ReferenceTensor {
    precondition([mean.count, variance.count, scale.count, shift.count].allSatisfy { $0 == input.channels })
    var output = ReferenceTensor(zerosLike: input)
    for n in 0..<input.batch {
      for c in 0..<input.channels {
        for y in 0..<input.height {
          for x in 0..<input.width {
            output[n, c, y, x] = scale[c] * (input[n, c, y, x] - mean[c]) / (variance[c] + epsilon).squareRoot() + shift[c]
          }
        }
      }
    }
    return output
  }

  /// Each channel's mean and biased variance over the batch and the pixels.
  static func channelStatistics(_ input: ReferenceTensor) -> (mean: [Double], variance: [Double]) {
    let m = Double(input.batch * input.height * input.width)
    var mean = [Double](repeating: 0, count: input.channels)
    var variance = [Double](repeating: 0, count: input.channels)
    for c in 0..<input.channels {
      var sum = 0.0
      for n in 0..<input.batch {
        for y in 0..<input.height {
          for x in 0..<input.width { sum += input[n, c, y, x] }
        }
      }
      mean[c] = sum / m
      var squares = 0.0
      for n in 0..<input.batch {
        for y in 0..<input.height {
          for x in 0..<input.width { squares += (input[n, c, y, x] - mean[c]) * (input[n, c, y, x] - mean[c]) }
        }
      }
      variance[c] = squares / m
    }
    return (mean, variance)
  }

  /// The gradients of training-mode `batchNorm` with respect to its input,
  /// scale and shift, by the chain rule through μ and σ² (Ioffe and
  /// Szegedy's backward equations), with x̂ = (x − μ)/s, s = √(σ² + ε):
  /// dβ = Σ dy, dγ = Σ dy·x̂, dx̂ = dy·γ,
  /// dσ² = Σ dx̂·(x − μ)·(−½)·s⁻³, dμ = −Σ dx̂/s + dσ²·Σ −2(x − μ)/m,
  /// dx = dx̂/s + dσ²·2(x − μ)/m + dμ/m.
  static func batchNormBackward(
    _ input: ReferenceTensor, scale: [Double], epsilon: Double, outputGradient: ReferenceTensor
  ) -> (input: ReferenceTensor, scale: [Double], shift: [Double]) {
    precondition(outputGradient.shape == input.shape, "batch normalisation output gradient shape")
    let (mean, variance) = channelStatistics(input)
    let m = Double(input.batch * input.height * input.width)
    var inputGradient = ReferenceTensor(zerosLike: input)
    var scaleGradient = [Double](repeating: 0, count: input.channels)
    var shiftGradient = [Double](repeating: 0, count: input.channels)
    for c in 0..<input.channels {
      let s = (variance[c] + epsilon).squareRoot()
      var dVariance = 0.0
      var dMeanDirect = 0.0
      var centredSum = 0.0
      for n in 0..<input.batch {
        for y in 0..<input.height {
          for x in 0..<input.width {
            let dy = outputGradient[n, c, y, x]
            let centred = input[n, c, y, x] - mean[c]
            shiftGradient[c] += dy
            scaleGradient[c] += dy * centred / s
            let dNormalised = dy * scale[c]
            dVariance += dNormalised * centred * -0.5 / (s * s * s)
            dMeanDirect += -dNormalised / s
            centredSum += -2 * centred
          }
        }
      }
      let dMean = dMeanDirect + dVariance * centredSum / m
      for n in 0..<input.batch {
        for y in 0..<input.height {
          for x in 0..<input.width {
            let centred = input[n, c, y, x] - mean[c]
            let dNormalised = outputGradient[n, c, y, x] * scale[c]
            inputGradient[n, c, y, x] = dNormalised / s + dVariance * 2 * centred / m + dMean / m
          }
        }
      }
    }
    return (inputGradient, scaleGradient, shiftGradient)
  }
}
