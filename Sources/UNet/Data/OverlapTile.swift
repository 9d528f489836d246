import _Support

/// The overlap-tile strategy (Ronneberger et al. 2015, Fig. 2, arXiv:1505.04597):
/// an output region of `output` pixels along each axis, and the input tile
/// around it, `margin` pixels larger on every side, with the image mirrored
/// where the tile leaves the sample. Sizes list the spatial axes slowest
/// first (y, x; or z, y, x for volumes).
///
/// `origin(extent:using:)` draws where the region lies; `extract` applies
/// that choice and touches no randomness.
struct OverlapTile: Sendable, Hashable {
  /// The input tile's size along each axis.
  let tile: [Int]
  /// The output region's size along each axis.
  let output: [Int]

  init(tile: [Int], output: [Int]) {
    precondition(tile.count == output.count, "OverlapTile: tile and output of different dimensions")
    self.tile = tile
    self.output = output
  }

  /// A square 2-D tile and output.
  init(tile: Int, output: Int) { self.init(tile: [tile, tile], output: [output, output]) }

  /// Pixels the input tile extends past the output region on each side, per axis.
  var margins: [Int] { zip(tile, output).map { ($0 - $1) / 2 } }

  /// The output region's first pixel in sample coordinates, slowest axis
  /// first (negative when the sample is smaller than the region).
  struct Origin: Sendable, Hashable {
    var position: [Int]
    /// The row (the second-last axis).
    var y: Int { position[position.count - 2] }
    /// The column (the last axis).
    var x: Int { position[position.count - 1] }
  }

  /// Draws the region's position: along an axis at least `output` long,
  /// uniform over the positions that keep it inside the sample (slowest
  /// axis first, one generator word per axis); along a shorter axis,
  /// centred (the sample starts `(output − side) / 2` pixels into the region).
  func origin(extent: [Int], using rng: inout SplitMix64) -> Origin {
    var position: [Int] = []
    for (side, out) in zip(extent, output) {
      let word = rng.next()
      position.append(side >= out ? uniformIndex(word, below: side - out + 1) : -((out - side) / 2))
    }
    return Origin(position: position)
  }

  /// `origin(extent:using:)` of a 2-D sample.
  func origin(height: Int, width: Int, using rng: inout SplitMix64) -> Origin {
    origin(extent: [height, width], using: &rng)
  }

  /// Writes tile `n` of `batch` from `sample` with the region at `origin`.
  ///
  /// The image tile (C × tile) covers, along each axis, the positions
  /// `origin − margin ..< origin − margin + tile`; positions outside the
  /// sample are mirrored as numpy's `pad(mode: "reflect")` does (the edge
  /// pixel is not repeated; reflection repeats for margins wider than the
  /// sample). Labels and weights (output) come from the region only and are
  /// 0 where it lies outside the sample; `batch` must hold zeros there.
  /// - Complexity: O(C·|tile| + |output|).
  func extract(_ sample: TrainingSample, at origin: Origin, into batch: inout TileBatch, index n: Int) {
    precondition(
      batch.channels == sample.channels && batch.tileExtent == tile && batch.outputExtent == output,
      "OverlapTile.extract: the batch's channels or sizes differ from the sample's and the tile's")
    let tileCount = tile.reduce(1, *)
    batch.images.withUnsafeMutableBufferPointer { images in
      sample.image.withUnsafeBufferPointer { source in
        Self.copyMirrored(
          source, channels: sample.channels, extent: sample.extent,
          start: zip(origin.position, margins).map { $0 - $1 }, size: tile, into: images, at: n * sample.channels * tileCount)
      }
    }
    // Labels and weights: the region's rows (all but the last axis) that lie
    // inside the sample, then the columns inside.
    let base = n * output.reduce(1, *)
    let (width, outWidth, x0) = (sample.extent.last!, output.last!, origin.x)
    let rowAxes = output.count - 1
    var index = [Int](repeating: 0, count: rowAxes)
    let rows = output.dropLast().reduce(1, *)
    for r in 0..<rows {
      var sampleRow = 0
      var inside = true
      for a in 0..<rowAxes {
        let p = origin.position[a] + index[a]
        if !(0..<sample.extent[a]).contains(p) { inside = false }
        sampleRow = sampleRow * sample.extent[a] + p
      }
      if inside {
        let target = base + r * outWidth
        for j in 0..<outWidth where (0..<width).contains(x0 + j) {
          batch.labels[target + j] = Int32(sample.mask[sampleRow * width + x0 + j])
          batch.weights[target + j] = sample.weight[sampleRow * width + x0 + j]
        }
      }
      Self.advance(&index, within: output)
    }
  }

  /// Steps a row index (every axis but the last of `extent`) to the next
  /// row in row-major order, the last row axis fastest.
  static func advance(_ index: inout [Int], within extent: [Int]) {
    var a = index.count - 1
    while a >= 0 {
      index[a] += 1
      if index[a] < extent[a] { return }
      index[a] = 0
      a -= 1
    }
  }
}

extension OverlapTile {
  /// Copies the `side`×`side` window of a planar C×H×W image whose top-left
  /// pixel is (`top`, `left`) into `target` from offset `base` (C×side×side,
  /// plane after plane), reading pixels outside the image by mirroring
  /// (`reflectIndex`).
  static func copyMirrored(
    _ source: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int, top: Int, left: Int, side: Int,
    into target: UnsafeMutableBufferPointer<Float>, at base: Int
  ) {
    copyMirrored(
      source, channels: channels, extent: [height, width], start: [top, left], size: [side, side], into: target,
      at: base)
  }

  /// Copies the window of `size` starting at `start` (slowest axis first)
  /// of a planar C × `extent` image or volume into `target` from offset
  /// `base` (C × size, channel after channel, row-major), reading positions
  /// outside by mirroring (`reflectIndex`) along each axis.
  static func copyMirrored(
    _ source: UnsafeBufferPointer<Float>, channels: Int, extent: [Int], start: [Int], size: [Int],
    into target: UnsafeMutableBufferPointer<Float>, at base: Int
  ) {
    let axes = extent.count
    // The source position of each window position, per axis.
    let maps = (0..<axes).map { a in (0..<size[a]).map { reflectIndex(start[a] + $0, count: extent[a]) } }
    let columns = maps[axes - 1]
    let (width, side) = (extent[axes - 1], size[axes - 1])
    let rows = size.dropLast().reduce(1, *)
    let plane = extent.reduce(1, *)
    let window = size.reduce(1, *)
    var index = [Int](repeating: 0, count: axes - 1)
    for r in 0..<rows {
      var sourceRow = 0
      for a in 0..<(axes - 1) { sourceRow = sourceRow * extent[a] + maps[a][index[a]] }
      for c in 0..<channels {
        let row = c * plane + sourceRow * width
        let out = base + c * window + r * side
        for j in 0..<side { target[out + j] = source[row + columns[j]] }
      }
      advance(&index, within: size)
    }
  }
}

/// The index that numpy's "reflect" padding reads for position `i` of an
/// axis of `count` pixels: the axis mirrored about its first and last
/// pixels, periodically, with period 2·(count − 1) (a single pixel repeats).
func reflectIndex(_ i: Int, count: Int) -> Int {
  precondition(count > 0, "reflectIndex: empty axis")
  guard count > 1 else { return 0 }
  let period = 2 * (count - 1)
  let r = (i % period + period) % period
  return r < count ? r : period - r
}

/// `⌊word · n / 2⁶⁴⌋`: uniform in `0..<n` up to a bias of n·2⁻⁶⁴, the same
/// mapping `unet augment` uses to pick sources.
func uniformIndex(_ word: UInt64, below n: Int) -> Int {
  precondition(n > 0, "uniformIndex: empty range")
  return Int(word.multipliedFullWidth(by: UInt64(n)).high)
}
