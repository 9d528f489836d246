import _Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Volumes of touching nuclei: the 3-D counterpart of ``CellSynthesizer``,
/// for tests, benchmarks and the demo of 3-D weight maps and augmentation.
///
/// Nuclei are ellipsoids with random semi-axes and orientation and a
/// slightly wobbly surface; where two overlap, each voxel goes to the one
/// whose surface is relatively farthest away (normalised distance ρ < 1),
/// so neighbours share a face. Intensity: a dim background, each nucleus
/// bright with a centre-heavy profile, a 3 × 3 × 3 box blur, shot-like
/// Gaussian noise, stored as 16-bit. Voxels are isotropic (unit spacing).
/// Everything follows from `(seed, index)`.
///
/// - Complexity: O(voxels + Σ nucleus bounding boxes).
public struct VolumeCellSynthesizer: Sendable {
  public let width: Int
  public let height: Int
  public let depth: Int
  /// Nuclei placed per volume (some may end up hidden by neighbours).
  public let cells: Int

  /// One nucleus per 28 000 voxels (diameter about 32 voxels, about 60 %
  /// of the volume covered): about 150 in 256 × 256 × 64.
  public static func defaultCells(width: Int, height: Int, depth: Int) -> Int {
    max(1, min(65_535, width * height * depth / 28_000))
  }

  public init(width: Int, height: Int, depth: Int, cells: Int? = nil) {
    precondition(width > 0 && height > 0 && depth > 0, "VolumeCellSynthesizer: empty size")
    let k = cells ?? Self.defaultCells(width: width, height: height, depth: depth)
    precondition((1...65_535).contains(k), "VolumeCellSynthesizer: cells must be 1...65535 (16-bit ids)")
    self.width = width
    self.height = height
    self.depth = depth
    self.cells = k
  }

  struct Nucleus {
    var centre: (x: Double, y: Double, z: Double)
    var axes: (Double, Double, Double)
    /// Rows of the rotation from volume to nucleus coordinates.
    var rotation: [(Double, Double, Double)]
    var wobble: [(k: Double, amp: Double, phase: Double)]
    var brightness: Double
  }

  /// Volume number `index` of the set made from `seed`: the 16-bit image
  /// and its 16-bit instance labels (0 background, nuclei 1...cells).
  public func generate(seed: UInt64, index: Int) -> (image: Volume<UInt16>, labels: Volume<UInt16>) {
    var rng = SplitMix64(seed: seed, stream: UInt64(index) ^ 0x5EED_0F_3D)
    let voxels = width * height * depth
    // Coverage parameter 0.9, as in 2-D.
    let baseRadius = max(1.5, cbrt(0.9 * Double(voxels) / (4.0 / 3.0 * Double.pi * Double(cells))))
    var list: [Nucleus] = []
    list.reserveCapacity(cells)
    for _ in 0..<cells {
      let r = baseRadius * rng.uniform(0.75, 1.25)
      let e1 = rng.uniform(0, 0.25), e2 = rng.uniform(0, 0.25)
      let (a, b) = (rng.uniform(0, 2 * Double.pi), rng.uniform(-0.5, 0.5))
      let (ca, sa, cb, sb) = (cos(a), sin(a), cos(b), sin(b))
      // Rotation about z by a, then tilt about x by b.
      let rotation = [(ca, sa, 0.0), (-sa * cb, ca * cb, sb), (sa * sb, -ca * sb, cb)]
      let wobble = (2...3).map { k in (Double(k), rng.uniform(0, 0.05), rng.uniform(0, 2 * Double.pi)) }
      list.append(
        Nucleus(
          centre: (rng.uniform(0, Double(width)), rng.uniform(0, Double(height)), rng.uniform(0, Double(depth))),
          axes: (r * (1 + e1), r * (1 - e2), r * (1 - e1 + e2)), rotation: rotation, wobble: wobble,
          brightness: rng.uniform(1500, 6000)))
    }
    let background = rng.uniform(200, 400)

    var owner = [UInt16](repeating: 0, count: voxels)
    var bestRho = [Float](repeating: .infinity, count: voxels)
    for (i, c) in list.enumerated() {
      let reach = max(c.axes.0, c.axes.1, c.axes.2) * 1.1 + 1
      func range(_ centre: Double, _ n: Int) -> ClosedRange<Int>? {
        let lo = max(0, Int((centre - reach).rounded(.down))), hi = min(n - 1, Int((centre + reach).rounded(.up)))
        return lo <= hi ? lo...hi : nil
      }
      guard let xs = range(c.centre.x, width), let ys = range(c.centre.y, height), let zs = range(c.centre.z, depth)
      else { continue }
      for z in zs {
        for y in ys {
          for x in xs {
            let (dx, dy, dz) = (Double(x) + 0.5 - c.centre.x, Double(y) + 0.5 - c.centre.y, Double(z) + 0.5 - c.centre.z)
            let r = c.rotation
            let u = (r[0].0 * dx + r[0].1 * dy + r[0].2 * dz) / c.axes.0
            let v = (r[1].0 * dx + r[1].1 * dy + r[1].2 * dz) / c.axes.1
            let w = (r[2].0 * dx + r[2].1 * dy + r[2].2 * dz) / c.axes.2
            var rho = (u * u + v * v + w * w).squareRoot()
            if rho > 1.2 { continue }
            let azimuth = atan2(v, u)
            var surface = 1.0
            for h in c.wobble { surface += h.amp * sin(h.k * azimuth + h.phase) }
            rho /= surface
            let p = (z * height + y) * width + x
            if rho <= 1 && Float(rho) < bestRho[p] {
              bestRho[p] = Float(rho)
              owner[p] = UInt16(i + 1)
            }
          }
        }
      }
    }

    var clean = [Double](repeating: background, count: voxels)
    for p in 0..<voxels where owner[p] != 0 {
      let rho = Double(bestRho[p])
      clean[p] = background + list[Int(owner[p]) - 1].brightness * (1 - 0.45 * rho * rho)
    }
    // 3 × 3 × 3 box blur, separably (mean over the neighbours inside).
    for (stride, count) in [(1, width), (width, height), (width * height, depth)] {
      var next = clean
      for p in 0..<voxels {
        let i = p / stride % count
        var sum = clean[p], n = 1.0
        if i > 0 { sum += clean[p - stride]; n += 1 }
        if i + 1 < count { sum += clean[p + stride]; n += 1 }
        next[p] = sum / n
      }
      clean = next
    }
    var pixels = [UInt16](repeating: 0, count: voxels)
    for p in 0..<voxels {
      let noisy = clean[p] + rng.gaussian() * (4 * clean[p]).squareRoot()
      pixels[p] = UInt16(max(0, min(65_535, noisy.rounded())))
    }
    return (
      Volume(width: width, height: height, depth: depth, samples: pixels),
      Volume(width: width, height: height, depth: depth, samples: owner)
    )
  }
}
