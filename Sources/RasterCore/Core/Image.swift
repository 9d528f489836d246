/// A 2-D image of `channels` interleaved samples per pixel.
///
/// Layout: row-major, channels interleaved — sample `(x, y, c)` lives at
/// `samples[(y * width + x) * channels + c]`, the order of a C-contiguous
/// numpy array of shape `(height, width, channels)`.
public struct Image<Sample: PixelSample>: Sendable, Equatable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// Samples per pixel, 1 to 4.
  public let channels: Int
  /// `width * height * channels` samples, row-major, channels interleaved.
  public var samples: [Sample]

  /// Wraps existing samples; the count must be `width * height * channels`.
  public init(width: Int, height: Int, channels: Int = 1, samples: [Sample]) {
    precondition(width >= 0 && height >= 0, "Image: negative size \(width)x\(height)")
    precondition((1...4).contains(channels), "Image: channels must be 1...4, got \(channels)")
    precondition(
      samples.count == width * height * channels,
      "Image: \(samples.count) samples for \(width)x\(height)x\(channels)")
    self.width = width
    self.height = height
    self.channels = channels
    self.samples = samples
  }

  /// An image filled with one value.
  public init(width: Int, height: Int, channels: Int = 1, repeating value: Sample = .zero) {
    self.init(
      width: width, height: height, channels: channels,
      samples: [Sample](repeating: value, count: width * height * channels))
  }

  /// Number of pixels, `width * height`.
  @inlinable public var pixelCount: Int { width * height }

  /// The sample at column `x`, row `y`, channel `c`.
  @inlinable public subscript(x: Int, y: Int, c: Int = 0) -> Sample {
    get { samples[(y * width + x) * channels + c] }
    set { samples[(y * width + x) * channels + c] = newValue }
  }

  /// An image from samples stored plane after plane (`(C, H, W)` order,
  /// PyTorch's layout): sample `(x, y, c)` at `planar[(c * height + y) * width + x]`.
  public init(width: Int, height: Int, channels: Int, planarSamples planar: [Sample]) {
    precondition(planar.count == width * height * channels, "Image: \(planar.count) samples for \(width)x\(height)x\(channels)")
    guard channels > 1 else {
      self.init(width: width, height: height, channels: channels, samples: planar)
      return
    }
    let n = width * height
    var samples = [Sample](repeating: .zero, count: planar.count)
    for c in 0..<channels { for p in 0..<n { samples[p * channels + c] = planar[c * n + p] } }
    self.init(width: width, height: height, channels: channels, samples: samples)
  }

  /// The samples plane after plane, `(C, H, W)` order (the inverse of
  /// ``init(width:height:channels:planarSamples:)``).
  public var planarSamples: [Sample] {
    guard channels > 1 else { return samples }
    let n = pixelCount
    var out = [Sample](repeating: .zero, count: samples.count)
    for p in 0..<n { for c in 0..<channels { out[c * n + p] = samples[p * channels + c] } }
    return out
  }

  /// Channel `c` as a single-channel image.
  public func channel(_ c: Int) -> Image<Sample> {
    precondition(c >= 0 && c < channels, "Image: no channel \(c) in a \(channels)-channel image")
    if channels == 1 { return self }
    var out = [Sample](repeating: .zero, count: pixelCount)
    for i in 0..<pixelCount { out[i] = samples[i * channels + c] }
    return Image(width: width, height: height, channels: 1, samples: out)
  }
}

/// Instance labels: 0 is background, every other value one instance.
public typealias LabelImage = Image<UInt32>

extension Image where Sample: Comparable {
  /// The smallest and largest sample, or nil for an empty image.
  public var range: (min: Sample, max: Sample)? {
    guard var lo = samples.first else { return nil }
    var hi = lo
    for v in samples {
      if v < lo { lo = v }
      if v > hi { hi = v }
    }
    return (lo, hi)
  }
}
