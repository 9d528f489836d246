import RasterCore
import WeightMap

@_cdecl("unetkit_abi_version")
public func unetkitABIVersion() -> Int32 { 1 }

@_cdecl("unetkit_weight_map")
public func unetkitWeightMap(
  _ labels: UnsafePointer<UInt32>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?,
  _ w0: Double, _ sigma: Double, _ classWeights: Int32, _ backgroundWeight: Double,
  _ foregroundWeight: Double, _ separate: Int32, _ connectivity: Int32,
  _ spacing: UnsafePointer<Double>?, _ weights: UnsafeMutablePointer<Float>?,
  _ mask: UnsafeMutablePointer<UInt8>?, _ instances: UnsafeMutablePointer<UInt32>?,
  _ message: UnsafeMutablePointer<CChar>?, _ messageCapacity: Int64
) -> Int32 {
  reporting(message, messageCapacity) {
    let size = try ArrayShape(ndim: ndim, shape: shape)
    let weighting: ClassWeighting
    switch classWeights {
    case 0: weighting = .balanced(.image)
    case 1: weighting = .uniform
    case 2: weighting = .explicit(background: backgroundWeight, foreground: foregroundWeight)
    default: throw CallError("invalid class weights mode \(classWeights): must be 0, 1 or 2")
    }
    // The same checks as the configuration's, under the Python names.
    guard w0.isFinite, w0 >= 0 else { throw CallError("invalid w0 \(w0): must be finite and >= 0") }
    guard sigma.isFinite, sigma > 0 else { throw CallError("invalid sigma \(sigma): must be finite and > 0") }
    if classWeights == 2 {
      for (name, v) in [("background", backgroundWeight), ("foreground", foregroundWeight)] where !(v.isFinite && v >= 0) {
        throw CallError("invalid \(name) class weight \(v): must be finite and >= 0")
      }
    }
    let mapper = WeightMapper(
      try WeightMapConfiguration(
        w0: w0, sigmaPixels: sigma, classWeights: weighting, separation: separate != 0,
        connectivity: try RasterCore.Connectivity(code: connectivity)))
    let samples = try copied(labels, size.count, "labels")
    guard weights != nil || mask != nil || instances != nil else { return }
    if size.isVolume {
      let voxelSpacing = try spacing.map { s in
        if let problem = VoxelSpacing.problem(z: s[0], y: s[1], x: s[2]) { throw CallError("invalid spacing: \(problem)") }
        return VoxelSpacing(z: s[0], y: s[1], x: s[2])
      } ?? .unit
      let result = mapper.compute(
        LabelVolume(
          width: size.width, height: size.height, depth: size.depth, spacing: voxelSpacing, samples: samples))
      store(result.weights.samples, into: weights)
      store(result.mask.samples, into: mask)
      store(result.instances.samples, into: instances)
    } else {
      let result = mapper.compute(LabelImage(width: size.width, height: size.height, samples: samples))
      store(result.weights.samples, into: weights)
      store(result.mask.samples, into: mask)
      store(result.instances.samples, into: instances)
    }
  }
}

@_cdecl("unetkit_separate")
public func unetkitSeparate(
  _ labels: UnsafePointer<UInt32>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?, _ connectivity: Int32,
  _ instances: UnsafeMutablePointer<UInt32>?,
  _ message: UnsafeMutablePointer<CChar>?, _ messageCapacity: Int64
) -> Int32 {
  reporting(message, messageCapacity) {
    let size = try ArrayShape(ndim: ndim, shape: shape)
    let neighbours = try RasterCore.Connectivity(code: connectivity)
    let samples = try copied(labels, size.count, "labels")
    guard instances != nil else { throw CallError("instances is NULL") }
    if size.isVolume {
      let volume = LabelVolume(width: size.width, height: size.height, depth: size.depth, samples: samples)
      store(Separation.apply(InstanceLabels.normalize(volume, connectivity: neighbours)).samples, into: instances)
    } else {
      let image = LabelImage(width: size.width, height: size.height, samples: samples)
      store(Separation.apply(InstanceLabels.normalize(image, connectivity: neighbours)).samples, into: instances)
    }
  }
}

extension Connectivity {
  /// 4 or 8 (in 3-D: 6 or 26 neighbours), as C callers give it.
  init(code value: Int32) throws {
    switch value {
    case 4: self = .four
    case 8: self = .eight
    default: throw CallError("invalid connectivity \(value): must be 4 or 8")
    }
  }
}
