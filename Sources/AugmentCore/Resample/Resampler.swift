import RasterCore

/// Resamples arrays along a ``SamplingMap``: output pixel `p` is the source
/// array interpolated at the map's position `p`, every channel with the
/// same position. Positions outside the source read the array extended by
/// ``border``.
///
/// - Floating-point images: cubic (Keys `a = −0.5`, Catmull-Rom, 4×4 taps,
///   see ``Interpolation/cubic``), linear (2×2) or nearest. Cubic and linear
///   return the source sample exactly at integral positions (for finite
///   samples).
/// - Labels and masks: nearest neighbour only, so every output value is a
///   source value (or 0 outside the image with ``BorderMode/constant``).
///   Nearest reads pixel `(⌊x + ½⌋, ⌊y + ½⌋)` (ties up), evaluated exactly.
///
/// Several arrays of one sample share one map; each is resampled from its
/// source once.
///
/// - Complexity: O(width × height × channels); no allocation besides the
///   output; one thread. Pixels go four at a time through SIMD code
///   (baseline SSE2 on x86-64); a pixel's value depends only on its own
///   position, never on its neighbours in the map.
public struct Resampler: Sendable, Equatable {
  /// What is read outside the source.
  public var border: BorderMode

  public init(border: BorderMode = .mirror) {
    self.border = border
  }

  /// `image` resampled along `map` with `interpolation`; same size and
  /// channels as the source.
  ///
  /// - Precondition: the map's size equals the image's; fewer than 2³¹ samples.
  public func resample(
    _ image: Image<Float>, along map: SamplingMap, interpolation: Interpolation = .cubic
  ) -> Image<Float> {
    check(image.width, image.height, image.samples.count, map)
    if image.channels > 1 && interpolation != .nearest {
      // Channel by channel: the one-channel kernels load rows 4-wide.
      let planes = Self.planes(of: image).map { resample($0, along: map, interpolation: interpolation) }
      return Self.interleave(planes)
    }
    let border = self.border
    return apply(image, along: map) { source, x, y, n, d in
      switch interpolation {
      case .cubic: Kernels.cubic(source, x, y, count: n, d, border)
      case .linear: Kernels.linear(source, x, y, count: n, d, border)
      case .nearest: Kernels.nearest(source, x, y, count: n, d, border, zero: 0)
      }
    }
  }

  /// Instance labels resampled by nearest neighbour.
  ///
  /// - Precondition: the map's size equals the labels'.
  public func nearest(_ labels: LabelImage, along map: SamplingMap) -> LabelImage {
    nearestGeneric(labels, map)
  }

  /// A mask resampled by nearest neighbour.
  ///
  /// - Precondition: the map's size equals the mask's.
  public func nearest(_ mask: Image<UInt8>, along map: SamplingMap) -> Image<UInt8> {
    nearestGeneric(mask, map)
  }

  /// An image (with `interpolation`) and its labels (nearest) resampled
  /// along one map, that of `values`: the same as
  /// ``resample(_:along:interpolation:)`` and ``nearest(_:along:)`` with
  /// `SamplingMap(values:width:height:)`.
  ///
  /// - Precondition: labels have one channel and the image's size.
  public func resample(
    _ image: Image<Float>, interpolation: Interpolation = .cubic, labels: LabelImage,
    values: DrawnValues
  ) -> (image: Image<Float>, labels: LabelImage) {
    precondition(labels.channels == 1, "Resampler: labels have \(labels.channels) channels, expected 1")
    let map = SamplingMap(values: values, width: image.width, height: image.height)
    return (resample(image, along: map, interpolation: interpolation), nearest(labels, along: map))
  }

  /// Each channel as a single-channel image.
  private static func planes(of image: Image<Float>) -> [Image<Float>] {
    let ch = image.channels
    return (0..<ch).map { c in
      var plane = [Float](repeating: 0, count: image.pixelCount)
      image.samples.withUnsafeBufferPointer { src in
        plane.withUnsafeMutableBufferPointer { dst in
          for i in 0..<dst.count { dst[i] = src[i &* ch &+ c] }
        }
      }
      return Image(width: image.width, height: image.height, samples: plane)
    }
  }

  /// One image from single-channel planes of equal size.
  private static func interleave(_ planes: [Image<Float>]) -> Image<Float> {
    let ch = planes.count
    let first = planes[0]
    var samples = [Float](repeating: 0, count: first.pixelCount * ch)
    samples.withUnsafeMutableBufferPointer { dst in
      for (c, plane) in planes.enumerated() {
        plane.samples.withUnsafeBufferPointer { src in
          for i in 0..<src.count { dst[i &* ch &+ c] = src[i] }
        }
      }
    }
    return Image(width: first.width, height: first.height, channels: ch, samples: samples)
  }

  private func nearestGeneric<T: PixelSample>(_ image: Image<T>, _ map: SamplingMap) -> Image<T> {
    let border = self.border
    return apply(image, along: map) { source, x, y, n, d in
      Kernels.nearest(source, x, y, count: n, d, border, zero: T.zero)
    }
  }

  /// A new array of `image`'s shape, filled by `kernel` from the image's
  /// samples and the map's coordinates (source, xs, ys, count, destination).
  private func apply<T: PixelSample>(
    _ image: Image<T>, along map: SamplingMap,
    _ kernel: (SourceArray<T>, UnsafePointer<Float>, UnsafePointer<Float>, Int, UnsafeMutablePointer<T>) -> Void
  ) -> Image<T> {
    check(image.width, image.height, image.samples.count, map)
    var out = [T](repeating: .zero, count: image.samples.count)
    guard !out.isEmpty else { return image }
    image.samples.withUnsafeBufferPointer { src in
      map.x.withUnsafeBufferPointer { xs in
        map.y.withUnsafeBufferPointer { ys in
          out.withUnsafeMutableBufferPointer { dst in
            let source = SourceArray(
              samples: src.baseAddress!, width: image.width, height: image.height,
              channels: image.channels)
            kernel(source, xs.baseAddress!, ys.baseAddress!, xs.count, dst.baseAddress!)
          }
        }
      }
    }
    return Image(width: image.width, height: image.height, channels: image.channels, samples: out)
  }

  private func check(_ w: Int, _ h: Int, _ count: Int, _ map: SamplingMap) {
    precondition(
      w == map.width && h == map.height,
      "Resampler: \(w)x\(h) array with a \(map.width)x\(map.height) sampling map")
    precondition(count < Int(Int32.max), "Resampler: \(count) samples, the limit is 2^31 - 1")
  }
}
