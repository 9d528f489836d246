import _Support

/// The overlap-tile strategy (Ronneberger et al. 2015, Fig. 2, arXiv:1505.04597):
/// an output region of `output`×`output` pixels, and the input tile around
/// it, `margin` pixels larger on every side, with the image mirrored where
/// the tile leaves the sample.
///
/// `origin(height:width:using:)` draws where the region lies; `extract`
/// applies that choice and touches no randomness.
struct OverlapTile: Sendable, Hashable {
  /// The input tile's side in pixels.
  let tile: Int
  /// The output region's side in pixels.
  let output: Int

  /// Pixels the input tile extends past the output region on each side.
  var margin: Int { (tile - output) / 2 }

  /// The output region's top-left pixel in sample coordinates (negative when
  /// the sample is smaller than the region).
  struct Origin: Sendable, Hashable {
    var y: Int
    var x: Int
  }

  /// Draws the region's position: along a side at least `output` long,
  /// uniform over the positions that keep it inside the sample (`y` first,
  /// one generator word per side); along a shorter side, centred (the
  /// sample starts `(output − side) / 2` pixels into the region).
  func origin(height: Int, width: Int, using rng: inout SplitMix64) -> Origin {
    func axis(_ side: Int) -> Int {
      let word = rng.next()
      return side >= output ? uniformIndex(word, below: side - output + 1) : -((output - side) / 2)
    }
    let y = axis(height)
    return Origin(y: y, x: axis(width))
  }

  /// Writes tile `n` of `batch` from `sample` with the region at `origin`.
  ///
  /// The image tile (C×tile×tile) covers rows `origin.y − margin ..<
  /// origin.y − margin + tile` (columns likewise); rows and columns outside
  /// the sample are mirrored as numpy's `pad(mode: "reflect")` does (the
  /// edge pixel is not repeated; reflection repeats for margins wider than
  /// the sample). Labels and weights (output×output) come from the region
  /// only and are 0 where it lies outside the sample; `batch` must hold
  /// zeros there.
  /// - Complexity: O(C·tile² + output²).
  func extract(_ sample: TrainingSample, at origin: Origin, into batch: inout TileBatch, index n: Int) {
    precondition(
      batch.channels == sample.channels && batch.tile == tile && batch.output == output,
      "OverlapTile.extract: the batch's channels or sizes differ from the sample's and the tile's")
    let (height, width) = (sample.height, sample.width)
    batch.images.withUnsafeMutableBufferPointer { images in
      sample.image.withUnsafeBufferPointer { source in
        Self.copyMirrored(
          source, channels: sample.channels, height: height, width: width, top: origin.y - margin,
          left: origin.x - margin, side: tile, into: images, at: n * sample.channels * tile * tile)
      }
    }
    let base = n * output * output
    for i in 0..<output where (0..<height).contains(origin.y + i) {
      let row = (origin.y + i) * width
      for j in 0..<output where (0..<width).contains(origin.x + j) {
        batch.labels[base + i * output + j] = Int32(sample.mask[row + origin.x + j])
        batch.weights[base + i * output + j] = sample.weight[row + origin.x + j]
      }
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
    let rows = (0..<side).map { reflectIndex(top + $0, count: height) }
    let columns = (0..<side).map { reflectIndex(left + $0, count: width) }
    for c in 0..<channels {
      let plane = c * height * width
      let out = base + c * side * side
      for i in 0..<side {
        let row = plane + rows[i] * width
        for j in 0..<side { target[out + i * side + j] = source[row + columns[j]] }
      }
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
