import Raster

/// Seeded watershed of a height map inside a mask, with seeds from its
/// h-maxima: the pieces of an instance segmentation that separates
/// touching cells.
///
/// All functions take a row-major `width × height` height map `f`
/// (higher = deeper inside a cell: a distance to the background, or a
/// foreground probability) and a mask of the pixels to segment; pixels
/// outside the mask are ignored, and pixels are 4-connected. The volume
/// forms take `depth` such slices, one after the other (the layout of
/// ``Volume``), and join each voxel to its 6 face neighbours; a volume of
/// depth 1 is segmented as its image.
///
/// - h-maxima (Soille, *Morphological Image Analysis*, 2nd ed., Springer
///   2003, §6.3.4): the reconstruction by dilation of `f − h` under `f`
///   removes every maximum whose dynamic (height above the saddle that
///   joins it to a higher one) is below `h`; the regional maxima of the
///   result are the seeds. Two cells joined by a neck become two seeds
///   when both rise more than `h` above the neck.
/// - Flooding (Meyer, "Topographic distance and watershed lines", Signal
///   Processing 38, 1994, doi:10.1016/0165-1684(94)90060-4): each pixel
///   joins the seed from which a path reaches it whose lowest point is
///   highest (the widest pass), grown outwards from the seeds in order of
///   that pass height — Prim's algorithm for a maximum spanning forest
///   rooted at the seeds, so every region is connected and holds one seed.
public enum Watershed {
  /// The reconstruction by dilation of `marker` under `f` inside `mask`:
  /// at each pixel the largest, over the pixels y of its component, of
  /// min(marker(y), the highest lowest point of a path from y to it).
  ///
  /// - Precondition: `marker ≤ f` on the mask.
  /// - Complexity: O(n log n) for n mask pixels (a priority queue of the
  ///   best values found so far, as Dijkstra's algorithm).
  public static func reconstruction(marker: [Double], under f: [Double], mask: [Bool], width: Int, height: Int) -> [Double] {
    reconstruction(marker: marker, under: f, mask: mask, Lattice(width: width, height: height, depth: 1))
  }

  /// The reconstruction by dilation of `marker` under `f` inside the mask
  /// of a volume, 6-connected (see
  /// ``reconstruction(marker:under:mask:width:height:)``).
  public static func reconstruction(
    marker: [Double], under f: [Double], mask: [Bool], width: Int, height: Int, depth: Int
  ) -> [Double] {
    reconstruction(marker: marker, under: f, mask: mask, Lattice(width: width, height: height, depth: depth))
  }

  static func reconstruction(marker: [Double], under f: [Double], mask: [Bool], _ lattice: Lattice) -> [Double] {
    precondition(marker.count == lattice.count && f.count == marker.count && mask.count == marker.count, "reconstruction: sizes")
    var value = marker
    var queue = PriorityQueue()
    for p in mask.indices where mask[p] { queue.push(value[p], p) }
    while let (v, p) = queue.pop() {
      guard v == value[p] else { continue }  // superseded
      lattice.forEachNeighbour(of: p) { n in
        guard mask[n] else { return }
        let candidate = min(v, f[n])
        if candidate > value[n] {
          value[n] = candidate
          queue.push(candidate, n)
        }
      }
    }
    return value
  }

  /// The h-maxima of `f` inside `mask` as seeds: the regional maxima
  /// (4-connected plateaus without a higher neighbour) of the
  /// reconstruction of `f − h` under `f`, numbered 1, 2, … in the raster
  /// order of their first pixel; 0 elsewhere.
  ///
  /// Every 4-connected component of the mask holds at least one seed (its
  /// highest plateau survives any `h`).
  ///
  /// - Parameter h: the least dynamic of a kept maximum, ≥ 0.
  /// - Complexity: O(n log n).
  public static func seeds(_ f: [Double], mask: [Bool], width: Int, height: Int, h: Double) -> LabelImage {
    LabelImage(width: width, height: height, samples: seeds(f, mask: mask, Lattice(width: width, height: height, depth: 1), h: h))
  }

  /// The h-maxima of `f` inside the mask of a volume as seeds: the regional
  /// maxima (6-connected plateaus without a higher neighbour) of the
  /// reconstruction of `f − h` under `f`, numbered 1, 2, … in the raster
  /// order (slice by slice) of their first voxel; see
  /// ``seeds(_:mask:width:height:h:)``.
  ///
  /// - Complexity: O(n log n).
  public static func seeds(
    _ f: [Double], mask: [Bool], width: Int, height: Int, depth: Int, spacing: VoxelSpacing = .unit, h: Double
  ) -> LabelVolume {
    LabelVolume(
      width: width, height: height, depth: depth, spacing: spacing,
      samples: seeds(f, mask: mask, Lattice(width: width, height: height, depth: depth), h: h))
  }

  static func seeds(_ f: [Double], mask: [Bool], _ lattice: Lattice, h: Double) -> [UInt32] {
    precondition(h >= 0, "seeds: h \(h) is negative")
    let r = reconstruction(marker: f.map { $0 - h }, under: f, mask: mask, lattice)
    // Plateaus of r: 4-connected pixels of equal value.
    var plateau = [UInt32](repeating: 0, count: r.count)
    var members: [[Int]] = [[]]
    for start in r.indices where mask[start] && plateau[start] == 0 {
      let id = UInt32(members.count)
      plateau[start] = id
      var stack = [start], found = [start]
      while let p = stack.popLast() {
        lattice.forEachNeighbour(of: p) { n in
          if mask[n] && plateau[n] == 0 && r[n] == r[p] {
            plateau[n] = id
            stack.append(n)
            found.append(n)
          }
        }
      }
      members.append(found)
    }
    // A plateau is a regional maximum when no neighbour in the mask is higher.
    var labels = [UInt32](repeating: 0, count: r.count)
    var next: UInt32 = 0
    for pixels in members.dropFirst() {
      var isMaximum = true
      for p in pixels where isMaximum {
        lattice.forEachNeighbour(of: p) { n in
          if mask[n] && r[n] > r[p] { isMaximum = false }
        }
      }
      guard isMaximum else { continue }
      next += 1
      for p in pixels { labels[p] = next }
    }
    return labels
  }

  /// Floods `mask` from `seeds`: each mask pixel reachable from a seed gets
  /// the id of a seed whose best path to it has the highest lowest point of
  /// `f` (the path's ends included); ties go to the seed that reaches the
  /// pixel first in the flooding order (highest pass first, then the order
  /// pixels were queued). Mask pixels of a component without seed, and all
  /// pixels outside the mask, stay 0.
  ///
  /// - Parameter seeds: seed ids (0 = none), non-zero only inside the mask.
  /// - Complexity: O(n log n).
  public static func flood(_ f: [Double], mask: [Bool], seeds: LabelImage) -> LabelImage {
    let lattice = Lattice(width: seeds.width, height: seeds.height, depth: 1)
    return LabelImage(width: seeds.width, height: seeds.height, samples: flood(f, mask: mask, seeds: seeds.samples, lattice))
  }

  /// Floods the mask of a volume from `seeds`, 6-connected (see
  /// ``flood(_:mask:seeds:)-(_,_,LabelImage)``); the result has the seeds' spacing.
  ///
  /// - Complexity: O(n log n).
  public static func flood(_ f: [Double], mask: [Bool], seeds: LabelVolume) -> LabelVolume {
    let lattice = Lattice(width: seeds.width, height: seeds.height, depth: seeds.depth)
    return LabelVolume(
      width: seeds.width, height: seeds.height, depth: seeds.depth, spacing: seeds.spacing,
      samples: flood(f, mask: mask, seeds: seeds.samples, lattice))
  }

  static func flood(_ f: [Double], mask: [Bool], seeds: [UInt32], _ lattice: Lattice) -> [UInt32] {
    precondition(f.count == lattice.count && mask.count == f.count && seeds.count == f.count, "flood: sizes")
    var labels = seeds
    var best = [Double](repeating: -.infinity, count: f.count)
    var done = [Bool](repeating: false, count: f.count)
    var queue = PriorityQueue()
    for p in labels.indices where labels[p] != 0 {
      precondition(mask[p], "flood: a seed lies outside the mask")
      best[p] = f[p]
      queue.push(f[p], p)
    }
    while let (level, p) = queue.pop() {
      guard !done[p], level == best[p] else { continue }
      done[p] = true
      lattice.forEachNeighbour(of: p) { n in
        guard mask[n], !done[n] else { return }
        let pass = min(level, f[n])
        if pass > best[n] {
          best[n] = pass
          labels[n] = labels[p]
          queue.push(pass, n)
        }
      }
    }
    return labels
  }

  /// The grid the functions work on: `depth` slices of `height` rows of
  /// `width` samples, each sample joined to its face neighbours (4 in an
  /// image, 6 in a volume).
  struct Lattice {
    let width: Int
    let height: Int
    let depth: Int

    var count: Int { width * height * depth }

    /// Calls `body` with the index of each face neighbour of `p` inside
    /// the grid: left, right, up, down, then the slices before and after.
    @inline(__always)
    func forEachNeighbour(of p: Int, _ body: (Int) -> Void) {
      let slice = width * height
      let x = p % width
      let y = (p % slice) / width
      if x > 0 { body(p - 1) }
      if x + 1 < width { body(p + 1) }
      if y > 0 { body(p - width) }
      if y + 1 < height { body(p + width) }
      if p >= slice { body(p - slice) }
      if p + slice < count { body(p + slice) }
    }
  }
}

/// A binary max-heap of (value, pixel) that pops the highest value first,
/// and among equal values the one pushed first (a counter breaks ties),
/// so that results do not depend on the heap's layout.
struct PriorityQueue {
  private var items: [(value: Double, order: Int, pixel: Int)] = []
  private var pushed = 0

  private func before(_ a: Int, _ b: Int) -> Bool {
    items[a].value > items[b].value || (items[a].value == items[b].value && items[a].order < items[b].order)
  }

  mutating func push(_ value: Double, _ pixel: Int) {
    items.append((value, pushed, pixel))
    pushed += 1
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard before(i, parent) else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() -> (Double, Int)? {
    guard let top = items.first else { return nil }
    let last = items.removeLast()
    if !items.isEmpty {
      items[0] = last
      var i = 0
      while true {
        let (l, r) = (2 * i + 1, 2 * i + 2)
        var m = i
        if l < items.count && before(l, m) { m = l }
        if r < items.count && before(r, m) { m = r }
        if m == i { break }
        items.swapAt(i, m)
        i = m
      }
    }
    return (top.value, top.pixel)
  }
}
