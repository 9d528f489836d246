/// Connected-component labelling of a mask.
public enum ConnectedComponents {
  /// Labels the connected components of the non-zero pixels of a
  /// single-channel mask.
  ///
  /// Two-pass labelling with a union-find forest over provisional labels
  /// (path halving, union by smaller root).
  ///
  /// - Parameters:
  ///   - mask: single-channel image; every non-zero sample is foreground.
  ///   - connectivity: which neighbours touch, `.four` (default) or `.eight`.
  /// - Returns: a label image, 0 on background, and the components numbered
  ///   1, 2, … in the raster order (row by row, left to right) of their
  ///   first pixel — the same numbering for the same mask, always.
  /// - Complexity: O(width × height · α(width × height)), linear in
  ///   practice; scratch memory of one byte per pixel plus one `UInt32` per
  ///   provisional label (at most ⌈width/2⌉ per row).
  @inlinable
  public static func label<S: PixelSample>(
    _ mask: Image<S>, connectivity: Connectivity = .four
  ) -> LabelImage {
    precondition(mask.channels == 1, "ConnectedComponents: expected 1 channel, got \(mask.channels)")
    return label(
      foreground: mask.samples.map { $0 != .zero }, width: mask.width, height: mask.height,
      connectivity: connectivity)
  }

  /// The connected components of the non-zero voxels of a volume:
  /// `.four` joins the 6 face neighbours, `.eight` all 26 neighbours.
  /// Components are numbered 1, 2, … in the raster order (slice by slice,
  /// row by row) of their first voxel.
  ///
  /// - Complexity: O(width × height × depth), as in 2-D.
  @inlinable
  public static func label<S: PixelSample>(_ mask: Volume<S>, connectivity: Connectivity = .four) -> LabelVolume {
    let labels = label(
      foreground: mask.samples.map { $0 != .zero }, width: mask.width, height: mask.height * mask.depth,
      connectivity: connectivity, depth: mask.depth)
    return LabelVolume(width: mask.width, height: mask.height, depth: mask.depth, spacing: mask.spacing, samples: labels.samples)
  }

  /// `label(_:connectivity:)` of a mask given as row-major flags: `depth`
  /// slices of `height / depth` rows stacked into `height` rows.
  @usableFromInline
  static func label(
    foreground: [Bool], width: Int, height: Int, connectivity: Connectivity, depth: Int = 1
  ) -> LabelImage {
    let n = width * height
    var labels = [UInt32](repeating: 0, count: n)
    guard n > 0 else { return LabelImage(width: width, height: height, samples: labels) }
    foreground.withUnsafeBufferPointer { fg in
      labels.withUnsafeMutableBufferPointer { out in
        label(fg, width: width, height: height / depth, depth: depth, full: connectivity == .eight, into: out)
      }
    }
    return LabelImage(width: width, height: height, samples: labels)
  }

  private static func label(
    _ fg: UnsafeBufferPointer<Bool>, width: Int, height: Int, depth: Int, full: Bool,
    into lab: UnsafeMutableBufferPointer<UInt32>
  ) {
    // A new provisional label needs a background (or no) left neighbour, so
    // a row holds at most ⌈width/2⌉ of them.
    let capacity = (width + 1) / 2 * height * depth + 1
    let parent = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
    defer { parent.deallocate() }
    parent[0] = 0
    var count: UInt32 = 1

    // Invariant: parent[a] ≤ a (roots are the smallest label of their set).
    @inline(__always) func find(_ a: UInt32) -> UInt32 {
      var a = a
      while parent[Int(a)] != a {
        let grand = parent[Int(parent[Int(a)])]
        parent[Int(a)] = grand
        a = grand
      }
      return a
    }
    @inline(__always) func union(_ a: UInt32, _ b: UInt32) -> UInt32 {
      if a == b { return a }
      let ra = find(a)
      let rb = find(b)
      if ra < rb {
        parent[Int(rb)] = ra
        return ra
      }
      parent[Int(ra)] = rb
      return rb
    }

    // First pass: provisional labels from the already-visited neighbours
    // (left, and the row above: up, plus up-left and up-right for
    // 8-connectivity; in a volume also the slice before: the voxel behind,
    // or with full connectivity its 3 × 3 block).
    let slice = width * height
    @inline(__always) func join(_ l: inout UInt32, _ q: Int) {
      let u = lab[q]
      if u != 0 { l = l == 0 ? u : union(l, u) }
    }
    for z in 0..<depth {
      for y in 0..<height {
        let row = z * slice + y * width
        for x in 0..<width where fg[row + x] {
          var l: UInt32 = x > 0 ? lab[row + x - 1] : 0
          if y > 0 {
            let up = row - width + x
            join(&l, up)
            if full {
              if x > 0 { join(&l, up - 1) }
              if x + 1 < width { join(&l, up + 1) }
            }
          }
          if z > 0 {
            let behind = row - slice + x
            if full {
              for dy in -1...1 where y + dy >= 0 && y + dy < height {
                for dx in -1...1 where x + dx >= 0 && x + dx < width { join(&l, behind + dy * width + dx) }
              }
            } else {
              join(&l, behind)
            }
          }
          if l == 0 {
            l = count
            parent[Int(count)] = count
            count += 1
          }
          lab[row + x] = l
        }
      }
    }

    // Final numbers: roots in increasing order, which is the raster order of
    // their components' first pixels (a component's first pixel always
    // opens its smallest provisional label).
    var next: UInt32 = 0
    for i in 1..<Int(count) {
      let p = parent[i]
      if p == UInt32(i) {
        next += 1
        parent[i] = next
      } else {
        parent[i] = parent[Int(p)]  // p < i: already final
      }
    }
    for i in 0..<lab.count where lab[i] != 0 { lab[i] = parent[Int(lab[i])] }
  }
}
