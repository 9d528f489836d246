import AugmentCore
import RasterCore
import _Support

@_cdecl("unetkit_elastic")
public func unetkitElastic(
  _ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ count: Int32, _ kinds: UnsafePointer<Int32>?,
  _ orders: UnsafePointer<Int32>?, _ inputs: UnsafePointer<UnsafeRawPointer?>?,
  _ outputs: UnsafePointer<UnsafeMutableRawPointer?>?,
  _ sigma: Double, _ grid: Int32, _ rotate: Double, _ shift: Double, _ flip: Int32,
  _ scaleLow: Double, _ scaleHigh: Double, _ border: Int32, _ seed: UInt64,
  _ message: UnsafeMutablePointer<CChar>?, _ messageCapacity: Int64
) -> Int32 {
  reporting(message, messageCapacity) {
    let size = try ArrayShape(ndim: ndim, shape: shape)
    guard count >= 1 else { throw CallError("no arrays to deform") }
    guard count <= 64 else { throw CallError("\(count) arrays: at most 64 share one draw") }
    let n = Int(count)
    let kindList = try copied(kinds, n, "kinds")
    let orderList = try copied(orders, n, "orders")
    let inputList = try copied(inputs, n, "inputs")
    let outputList = try copied(outputs, n, "outputs")
    var interpolations: [Interpolation] = []
    for i in 0..<n {
      let interpolation: Interpolation
      switch orderList[i] {
      case 0: interpolation = .nearest
      case 1: interpolation = .linear
      case 3: interpolation = .cubic
      default: throw CallError("invalid order \(orderList[i]) of array \(i): must be 3, 1 or 0")
      }
      switch kindList[i] {
      case 0: break
      case 1:
        guard interpolation == .nearest else {
          throw CallError("array \(i) holds labels: order must be 0 (nearest), got \(orderList[i])")
        }
      default: throw CallError("invalid kind \(kindList[i]) of array \(i): must be 0 (float32) or 1 (uint32)")
      }
      guard inputList[i] != nil, outputList[i] != nil else { throw CallError("array \(i) is NULL") }
      interpolations.append(interpolation)
    }
    let borderMode: BorderMode
    switch border {
    case 0: borderMode = .mirror
    case 1: borderMode = .constant
    case 2: borderMode = .nearest
    default: throw CallError("invalid border \(border): must be 0 (mirror), 1 (constant) or 2 (nearest)")
    }
    guard sigma.isFinite, sigma >= 0 else { throw CallError("invalid sigma \(sigma): must be finite and >= 0") }
    guard (2...1024).contains(grid) else { throw CallError("invalid grid \(grid): must be in 2...1024") }
    try checkGrid(Int(grid), dimensions: size.isVolume ? 3 : 2)
    guard rotate >= 0, rotate <= 180 else { throw CallError("invalid rotate \(rotate): must be in 0...180") }
    guard shift.isFinite, shift >= 0 else { throw CallError("invalid shift \(shift): must be finite and >= 0") }
    guard scaleLow.isFinite, scaleHigh.isFinite, scaleLow > 0, scaleLow <= scaleHigh else {
      throw CallError("invalid scale (\(scaleLow), \(scaleHigh)): must be finite, > 0 and low <= high")
    }
    let configuration = try AugmentConfiguration(
      gridSize: Int(grid), sigmaPixels: sigma, rotateDegrees: rotate, shiftPixels: shift,
      flipHorizontal: flip != 0, flipVertical: flip != 0,
      scale: scaleLow == 1 && scaleHigh == 1 ? nil : scaleLow...scaleHigh,
      border: borderMode, intensity: .off)
    let resampler = Resampler(border: borderMode)
    var rng = SplitMix64(seed: seed)
    if size.isVolume {
      let values = try VolumeAugmentConfiguration(configuration).sample(using: &rng)
      let map = VolumeSamplingMap(values: values, width: size.width, height: size.height, depth: size.depth)
      func volume<S: PixelSample>(_ i: Int, _: S.Type) -> Volume<S> {
        Volume(
          width: size.width, height: size.height, depth: size.depth,
          samples: Array(UnsafeBufferPointer(start: inputList[i]!.assumingMemoryBound(to: S.self), count: size.count)))
      }
      for i in 0..<n {
        if kindList[i] == 1 {
          let out = resampler.nearest(volume(i, UInt32.self), along: map)
          store(out.samples, into: outputList[i]!.assumingMemoryBound(to: UInt32.self))
        } else {
          let out = resampler.resample(volume(i, Float.self), along: map, interpolation: interpolations[i])
          store(out.samples, into: outputList[i]!.assumingMemoryBound(to: Float.self))
        }
      }
    } else {
      let values = configuration.sample(using: &rng)
      let map = SamplingMap(values: values, width: size.width, height: size.height)
      func image<S: PixelSample>(_ i: Int, _: S.Type) -> Image<S> {
        Image(
          width: size.width, height: size.height,
          samples: Array(UnsafeBufferPointer(start: inputList[i]!.assumingMemoryBound(to: S.self), count: size.count)))
      }
      for i in 0..<n {
        if kindList[i] == 1 {
          let out = resampler.nearest(image(i, UInt32.self), along: map)
          store(out.samples, into: outputList[i]!.assumingMemoryBound(to: UInt32.self))
        } else {
          let out = resampler.resample(image(i, Float.self), along: map, interpolation: interpolations[i])
          store(out.samples, into: outputList[i]!.assumingMemoryBound(to: Float.self))
        }
      }
    }
  }
}
