// Slow, obviously correct layers of the U-Net (Ronneberger et al. 2015) in
// Double precision, each a forward pass and its backward pass written as plain
// nested loops. The fast trainer is tested against these.
//
// Layout: every tensor is NCHW, row-major (x fastest). Weights follow PyTorch:
// Conv2d [out, in, k, k], ConvTranspose2d [in, out, 2, 2], biases [out].
// A backward pass takes the gradient of a scalar loss with respect to the
// layer's output and returns the gradients with respect to its inputs and
// parameters.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A 4-D array of Doubles in NCHW order, row-major: element (n, c, y, x) is
/// `values[((n · channels + c) · height + y) · width + x]`.
struct ReferenceTensor: Equatable {
  var batch: Int
  var channels: Int
  var height: Int
  var width: Int
  var values: [Double]

  init(batch: Int, channels: Int, height: Int, width: Int, values: [Double]) {
    precondition(
      values.count == batch * channels * height * width,
      "\(values.count) values for shape [\(batch), \(channels), \(height), \(width)]")
    self.batch = batch
    self.channels = channels
    self.height = height
    self.width = width
    self.values = values
  }

  /// A tensor of zeros.
  init(batch: Int, channels: Int, height: Int, width: Int) {
    self.init(
      batch: batch, channels: channels, height: height, width: width,
      values: Array(repeating: 0, count: batch * channels * height * width))
  }

  /// A tensor of zeros with the shape of `other`.
  init(zerosLike other: ReferenceTensor) {
    self.init(batch: other.batch, channels: other.channels, height: other.height, width: other.width)
  }

  var shape: [Int] { [batch, channels, height, width] }

  subscript(n: Int, c: Int, y: Int, x: Int) -> Double {
    get { values[((n * channels + c) * height + y) * width + x] }
    set { values[((n * channels + c) * height + y) * width + x] = newValue }
  }
}

enum ReferenceLayers {
  // MARK: - Convolution

  /// A valid 2-D convolution (no padding, stride 1), cross-correlation as in
  /// PyTorch's Conv2d: out[n,o,y,x] = b[o] + Σ_{i,ky,kx} in[n,i,y+ky,x+kx]·W[o,i,ky,kx].
  ///
  /// - Parameters:
  ///   - input: [N, I, H, W].
  ///   - weight: [O, I, k, k], O = `bias.count`.
  ///   - bias: [O].
  ///   - kernel: k.
  /// - Returns: [N, O, H − k + 1, W − k + 1].
  static func conv2d(_ input: ReferenceTensor, weight: [Double], bias: [Double], kernel: Int)
    -> ReferenceTensor
  {
    let outChannels = bias.count
    let inChannels = input.channels
    precondition(weight.count == outChannels * inChannels * kernel * kernel, "conv2d weight shape")
    precondition(input.height >= kernel && input.width >= kernel, "conv2d input smaller than the kernel")
    func w(_ o: Int, _ i: Int, _ ky: Int, _ kx: Int) -> Double {
      weight[((o * inChannels + i) * kernel + ky) * kernel + kx]
    }
    var output = ReferenceTensor(
      batch: input.batch, channels: outChannels,
      height: input.height - kernel + 1, width: input.width - kernel + 1)
    for n in 0..<input.batch {
      for o in 0..<outChannels {
        for y in 0..<output.height {
          for x in 0..<output.width {
            var sum = bias[o]
            for i in 0..<inChannels {
              for ky in 0..<kernel {
                for kx in 0..<kernel {
                  sum += input[n, i, y + ky, x + kx] * w(o, i, ky, kx)
                }
              }
            }
            output[n, o, y, x] = sum
          }
        }
      }
    }
    return output
  }

  /// The gradients of `conv2d` with respect to its input, weight and bias.
  static func conv2dBackward(
    _ input: ReferenceTensor, weight: [Double], kernel: Int, outputGradient: ReferenceTensor
  ) -> (input: ReferenceTensor, weight: [Double], bias: [Double]) {
    let outChannels = outputGradient.channels
    let inChannels = input.channels
    precondition(weight.count == outChannels * inChannels * kernel * kernel, "conv2d weight shape")
    precondition(
      outputGradient.shape == [input.batch, outChannels, input.height - kernel + 1, input.width - kernel + 1],
      "conv2d output gradient shape")
    func wIndex(_ o: Int, _ i: Int, _ ky: Int, _ kx: Int) -> Int {
      ((o * inChannels + i) * kernel + ky) * kernel + kx
    }
    var inputGradient = ReferenceTensor(zerosLike: input)
    var weightGradient = [Double](repeating: 0, count: weight.count)
    var biasGradient = [Double](repeating: 0, count: outChannels)
    for n in 0..<input.batch {
      for o in 0..<outChannels {
        for y in 0..<outputGradient.height {
          for x in 0..<outputGradient.width {
            let g = outputGradient[n, o, y, x]
            biasGradient[o] += g
            for i in 0..<inChannels {
              for ky in 0..<kernel {
                for kx in 0..<kernel {
                  weightGradient[wIndex(o, i, ky, kx)] += g * input[n, i, y + ky, x + kx]
                  inputGradient[n, i, y + ky, x + kx] += g * weight[wIndex(o, i, ky, kx)]
                }
              }
            }
          }
        }
      }
    }
    return (inputGradient, weightGradient, biasGradient)
  }

  // MARK: - Up-convolution

  /// A 2×2 transposed convolution with stride 2 (PyTorch's ConvTranspose2d,
  /// kernel 2, stride 2): out[n,o,2y+ky,2x+kx] = b[o] + Σ_i in[n,i,y,x]·W[i,o,ky,kx].
  /// The windows do not overlap, so each output pixel gets exactly one tap.
  ///
  /// - Parameters:
  ///   - input: [N, I, H, W].
  ///   - weight: [I, O, 2, 2], O = `bias.count`.
  ///   - bias: [O].
  /// - Returns: [N, O, 2H, 2W].
  static func convTranspose2d(_ input: ReferenceTensor, weight: [Double], bias: [Double]) -> ReferenceTensor {
    let outChannels = bias.count
    let inChannels = input.channels
    precondition(weight.count == inChannels * outChannels * 4, "convTranspose2d weight shape")
    func w(_ i: Int, _ o: Int, _ ky: Int, _ kx: Int) -> Double {
      weight[((i * outChannels + o) * 2 + ky) * 2 + kx]
    }
    var output = ReferenceTensor(
      batch: input.batch, channels: outChannels, height: 2 * input.height, width: 2 * input.width)
    for n in 0..<input.batch {
      for o in 0..<outChannels {
        for y in 0..<input.height {
          for x in 0..<input.width {
            for ky in 0..<2 {
              for kx in 0..<2 {
                var sum = bias[o]
                for i in 0..<inChannels {
                  sum += input[n, i, y, x] * w(i, o, ky, kx)
                }
                output[n, o, 2 * y + ky, 2 * x + kx] = sum
              }
            }
          }
        }
      }
    }
    return output
  }

  /// The gradients of `convTranspose2d` with respect to its input, weight and bias.
  static func convTranspose2dBackward(
    _ input: ReferenceTensor, weight: [Double], outputGradient: ReferenceTensor
  ) -> (input: ReferenceTensor, weight: [Double], bias: [Double]) {
    let outChannels = outputGradient.channels
    let inChannels = input.channels
    precondition(weight.count == inChannels * outChannels * 4, "convTranspose2d weight shape")
    precondition(
      outputGradient.shape == [input.batch, outChannels, 2 * input.height, 2 * input.width],
      "convTranspose2d output gradient shape")
    func wIndex(_ i: Int, _ o: Int, _ ky: Int, _ kx: Int) -> Int {
      ((i * outChannels + o) * 2 + ky) * 2 + kx
    }
    var inputGradient = ReferenceTensor(zerosLike: input)
    var weightGradient = [Double](repeating: 0, count: weight.count)
    var biasGradient = [Double](repeating: 0, count: outChannels)
    for n in 0..<input.batch {
      for o in 0..<outChannels {
        for y in 0..<input.height {
          for x in 0..<input.width {
            for ky in 0..<2 {
              for kx in 0..<2 {
                let g = outputGradient[n, o, 2 * y + ky, 2 * x + kx]
                biasGradient[o] += g
                for i in 0..<inChannels {
                  weightGradient[wIndex(i, o, ky, kx)] += g * input[n, i, y, x]
                  inputGradient[n, i, y, x] += g * weight[wIndex(i, o, ky, kx)]
                }
              }
            }
          }
        }
      }
    }
    return (inputGradient, weightGradient, biasGradient)
  }

  // MARK: - ReLU

  /// max(0, x) elementwise.
  static func relu(_ input: ReferenceTensor) -> ReferenceTensor {
    var output = input
    output.values = input.values.map { max(0, $0) }
    return output
  }

  /// The gradient of `relu` with respect to its input, from its output: the
  /// gradient passes where the output is positive and is zero elsewhere.
  static func reluBackward(output: ReferenceTensor, outputGradient: ReferenceTensor) -> ReferenceTensor {
    precondition(output.shape == outputGradient.shape, "relu output gradient shape")
    var inputGradient = outputGradient
    for index in inputGradient.values.indices where output.values[index] <= 0 {
      inputGradient.values[index] = 0
    }
    return inputGradient
  }

  // MARK: - Max pooling

  /// 2×2 max pooling with stride 2; H and W must be even.
  /// - Returns: [N, C, H/2, W/2].
  static func maxPool2x2(_ input: ReferenceTensor) -> ReferenceTensor {
    precondition(input.height % 2 == 0 && input.width % 2 == 0, "max pooling needs even sizes")
    var output = ReferenceTensor(
      batch: input.batch, channels: input.channels, height: input.height / 2, width: input.width / 2)
    for n in 0..<input.batch {
      for c in 0..<input.channels {
        for y in 0..<output.height {
          for x in 0..<output.width {
            let (my, mx) = argmax2x2(input, n, c, y, x)
            output[n, c, y, x] = input[n, c, my, mx]
          }
        }
      }
    }
    return output
  }

  /// The gradient of `maxPool2x2` with respect to its input: each window's
  /// gradient goes to its first maximum in row-major order, the rest get zero.
  static func maxPool2x2Backward(_ input: ReferenceTensor, outputGradient: ReferenceTensor) -> ReferenceTensor {
    precondition(
      outputGradient.shape == [input.batch, input.channels, input.height / 2, input.width / 2],
      "max pooling output gradient shape")
    var inputGradient = ReferenceTensor(zerosLike: input)
    for n in 0..<input.batch {
      for c in 0..<input.channels {
        for y in 0..<outputGradient.height {
          for x in 0..<outputGradient.width {
            let (my, mx) = argmax2x2(input, n, c, y, x)
            inputGradient[n, c, my, mx] = outputGradient[n, c, y, x]
          }
        }
      }
    }
    return inputGradient
  }

  /// The input position of the first maximum (row-major) in the window of
  /// output pixel (y, x); a later equal value does not replace it.
  private static func argmax2x2(_ input: ReferenceTensor, _ n: Int, _ c: Int, _ y: Int, _ x: Int) -> (Int, Int) {
    var best = (2 * y, 2 * x)
    for ky in 0..<2 {
      for kx in 0..<2 where input[n, c, 2 * y + ky, 2 * x + kx] > input[n, c, best.0, best.1] {
        best = (2 * y + ky, 2 * x + kx)
      }
    }
    return best
  }

  // MARK: - Skip connection: centre crop and concatenation

  /// The centre `height` × `width` window of `input`, starting at
  /// ((H − height)/2, (W − width)/2) with integer division.
  static func centreCrop(_ input: ReferenceTensor, height: Int, width: Int) -> ReferenceTensor {
    precondition(height <= input.height && width <= input.width, "crop larger than its input")
    let top = (input.height - height) / 2
    let left = (input.width - width) / 2
    var output = ReferenceTensor(batch: input.batch, channels: input.channels, height: height, width: width)
    for n in 0..<input.batch {
      for c in 0..<input.channels {
        for y in 0..<height {
          for x in 0..<width {
            output[n, c, y, x] = input[n, c, top + y, left + x]
          }
        }
      }
    }
    return output
  }

  /// The gradient of `centreCrop` with respect to its input of `height` × `width`
  /// pixels: the output gradient in the centre window, zero around it.
  static func centreCropBackward(outputGradient: ReferenceTensor, height: Int, width: Int) -> ReferenceTensor {
    let top = (height - outputGradient.height) / 2
    let left = (width - outputGradient.width) / 2
    var inputGradient = ReferenceTensor(
      batch: outputGradient.batch, channels: outputGradient.channels, height: height, width: width)
    for n in 0..<outputGradient.batch {
      for c in 0..<outputGradient.channels {
        for y in 0..<outputGradient.height {
          for x in 0..<outputGradient.width {
            inputGradient[n, c, top + y, left + x] = outputGradient[n, c, y, x]
          }
        }
      }
    }
    return inputGradient
  }

  /// cat([first, second], dim=1): the channels of `first`, then those of `second`.
  static func concatenateChannels(_ first: ReferenceTensor, _ second: ReferenceTensor) -> ReferenceTensor {
    precondition(
      first.batch == second.batch && first.height == second.height && first.width == second.width,
      "concatenation needs equal batch and spatial sizes")
    var output = ReferenceTensor(
      batch: first.batch, channels: first.channels + second.channels, height: first.height, width: first.width)
    for n in 0..<first.batch {
      for y in 0..<first.height {
        for x in 0..<first.width {
          for c in 0..<first.channels {
            output[n, c, y, x] = first[n, c, y, x]
          }
          for c in 0..<second.channels {
            output[n, first.channels + c, y, x] = second[n, c, y, x]
          }
        }
      }
    }
    return output
  }

  /// The gradient of `concatenateChannels` split back into its two inputs,
  /// the first having `firstChannels` channels.
  static func concatenateChannelsBackward(outputGradient: ReferenceTensor, firstChannels: Int)
    -> (first: ReferenceTensor, second: ReferenceTensor)
  {
    let g = outputGradient
    var first = ReferenceTensor(batch: g.batch, channels: firstChannels, height: g.height, width: g.width)
    var second = ReferenceTensor(
      batch: g.batch, channels: g.channels - firstChannels, height: g.height, width: g.width)
    for n in 0..<g.batch {
      for y in 0..<g.height {
        for x in 0..<g.width {
          for c in 0..<first.channels {
            first[n, c, y, x] = g[n, c, y, x]
          }
          for c in 0..<second.channels {
            second[n, c, y, x] = g[n, firstChannels + c, y, x]
          }
        }
      }
    }
    return (first, second)
  }

  // MARK: - Dropout

  /// Dropout with a given mask: each value times its multiplier (0, or
  /// 1/(1 − p) for a kept unit). The mask has the input's shape.
  static func dropout(_ input: ReferenceTensor, mask: [Double]) -> ReferenceTensor {
    precondition(mask.count == input.values.count, "dropout mask has \(mask.count) values, input \(input.values.count)")
    var output = input
    for index in output.values.indices {
      output.values[index] = input.values[index] * mask[index]
    }
    return output
  }

  /// The gradient of `dropout` with respect to its input: the output gradient times the mask.
  static func dropoutBackward(mask: [Double], outputGradient: ReferenceTensor) -> ReferenceTensor {
    dropout(outputGradient, mask: mask)
  }

  // MARK: - Loss

  /// The paper's energy (Eq. 1): a pixel-wise softmax over the K classes and
  /// a weighted cross-entropy, averaged over the N·H·W pixels:
  /// L = (1/(N·H·W)) Σ_{n,y,x} w[n,y,x] · (−log softmax(z[n,:,y,x])[label[n,y,x]]).
  ///
  /// - Parameters:
  ///   - logits: z, [N, K, H, W].
  ///   - labels: class indices in 0..<K, [N, H, W].
  ///   - weights: w, [N, H, W].
  static func softmaxCrossEntropy(logits: ReferenceTensor, labels: [Int32], weights: [Double]) -> Double {
    checkLossShapes(logits: logits, labels: labels, weights: weights)
    let pixels = logits.batch * logits.height * logits.width
    var total = 0.0
    for n in 0..<logits.batch {
      for y in 0..<logits.height {
        for x in 0..<logits.width {
          let pixel = (n * logits.height + y) * logits.width + x
          let logProbabilities = logSoftmax(logits, n, y, x)
          total += weights[pixel] * -logProbabilities[Int(labels[pixel])]
        }
      }
    }
    return total / Double(pixels)
  }

  /// The gradient of `softmaxCrossEntropy` with respect to the logits:
  /// dL/dz[n,k,y,x] = w[n,y,x] · (softmax(z[n,:,y,x])[k] − [k = label[n,y,x]]) / (N·H·W).
  static func softmaxCrossEntropyBackward(logits: ReferenceTensor, labels: [Int32], weights: [Double])
    -> ReferenceTensor
  {
    checkLossShapes(logits: logits, labels: labels, weights: weights)
    let pixels = logits.batch * logits.height * logits.width
    var gradient = ReferenceTensor(zerosLike: logits)
    for n in 0..<logits.batch {
      for y in 0..<logits.height {
        for x in 0..<logits.width {
          let pixel = (n * logits.height + y) * logits.width + x
          let probabilities = logSoftmax(logits, n, y, x).map { exp($0) }
          for k in 0..<logits.channels {
            let oneHot: Double = k == Int(labels[pixel]) ? 1 : 0
            gradient[n, k, y, x] = weights[pixel] * (probabilities[k] - oneHot) / Double(pixels)
          }
        }
      }
    }
    return gradient
  }

  /// log softmax over the classes of one pixel, stable for large logits:
  /// z_k − m − log Σ_j exp(z_j − m) with m = max_j z_j.
  private static func logSoftmax(_ logits: ReferenceTensor, _ n: Int, _ y: Int, _ x: Int) -> [Double] {
    let z = (0..<logits.channels).map { logits[n, $0, y, x] }
    let m = z.max()!
    let logSum = log(z.reduce(0) { $0 + exp($1 - m) })
    return z.map { $0 - m - logSum }
  }

  private static func checkLossShapes(logits: ReferenceTensor, labels: [Int32], weights: [Double]) {
    let pixels = logits.batch * logits.height * logits.width
    precondition(labels.count == pixels, "\(labels.count) labels for \(pixels) pixels")
    precondition(weights.count == pixels, "\(weights.count) weights for \(pixels) pixels")
    precondition(
      labels.allSatisfy { $0 >= 0 && Int($0) < logits.channels }, "a label is outside 0..<\(logits.channels)")
  }
}
