import Raster

/// The shape of a U-Net (Ronneberger et al. 2015, Fig. 1): the numbers a user
/// chooses, from which every layer follows.
public struct Architecture: Sendable, Hashable, Codable {
  /// Channels of the input image (1 for gray EM sections).
  public var inputChannels: Int
  /// Output classes K of the pixel-wise softmax (2: background, foreground).
  public var classes: Int
  /// Channels of the first level; level i has `baseChannels · 2^i`.
  public var baseChannels: Int
  /// Number of poolings (4 in the paper).
  public var depth: Int
  /// Dropout probability at the end of the contracting path (training only).
  public var dropout: Double
  /// The normalisation layer after each 3×3 convolution (`none` in the paper).
  public var normLayer: NormLayer
  /// Spatial dimensions: 2 (images, the paper) or 3 (volumes, the 3-D U-Net
  /// of Çiçek et al. 2016: 3×3×3 convolutions, 2×2×2 pooling and
  /// up-convolutions).
  public var dimensions: Int
  /// In 3-D, how many of the first poolings (and the matching last
  /// up-convolutions) leave the slice axis alone: 1×2×2 windows, for
  /// volumes whose slices lie further apart than their pixels (nnU-Net's
  /// rule: an axis is pooled only while its spacing is at most twice the
  /// finest). 0 in 2-D and for isotropic volumes.
  public var inPlanePoolings: Int

  /// The paper's network: 1 input channel, 2 classes, 64 base channels,
  /// depth 4, dropout 0.5, no normalisation layers.
  public static let paper = Architecture(inputChannels: 1, classes: 2, baseChannels: 64, depth: 4, dropout: 0.5)

  public init(
    inputChannels: Int, classes: Int, baseChannels: Int, depth: Int, dropout: Double, normLayer: NormLayer = .none,
    dimensions: Int = 2, inPlanePoolings: Int = 0
  ) {
    self.inputChannels = inputChannels
    self.classes = classes
    self.baseChannels = baseChannels
    self.depth = depth
    self.dropout = dropout
    self.normLayer = normLayer
    self.dimensions = dimensions
    self.inPlanePoolings = inPlanePoolings
  }

  /// A one-line reason when a number is out of range, else nil.
  public var problem: ConfigurationError? {
    func invalid(_ setting: String, _ value: Any, _ requirement: String) -> ConfigurationError {
      ConfigurationError(setting: setting, value: "\(value)", requirement: requirement)
    }
    if !(1...4).contains(inputChannels) { return invalid("inputChannels", inputChannels, "1 to 4") }
    if !(2...255).contains(classes) { return invalid("classes", classes, "2 to 255") }
    if !(1...1024).contains(baseChannels) { return invalid("baseChannels", baseChannels, "1 to 1024") }
    if !(1...6).contains(depth) { return invalid("depth", depth, "1 to 6") }
    if baseChannels << depth > 16384 {
      return invalid("baseChannels", baseChannels, "at most \(16384 >> depth) at depth \(depth) (16384 channels at the bottom)")
    }
    if !(dropout >= 0 && dropout < 1) { return invalid("dropout", dropout, "in [0, 1)") }
    if !(2...3).contains(dimensions) { return invalid("dimensions", dimensions, "2 or 3") }
    if !(0...depth).contains(inPlanePoolings) || (dimensions == 2 && inPlanePoolings != 0) {
      return invalid("inPlanePoolings", inPlanePoolings, dimensions == 2 ? "0 in 2-D" : "0 to the depth \(depth)")
    }
    return nil
  }

  /// The spatial axes, slowest first: y, x in 2-D; z, y, x in 3-D.
  public var axisNames: [String] { dimensions == 3 ? ["z", "y", "x"] : ["y", "x"] }

  /// Whether pooling `level` (0 = the first) halves axis `axis` (slowest
  /// first): always in-plane; along z from level `inPlanePoolings` on.
  public func pools(level: Int, axis: Int) -> Bool { dimensions == 2 || axis > 0 || level >= inPlanePoolings }

  /// The window of pooling `level` and of the up-convolution that undoes
  /// it: 2 along every pooled axis, 1 along the others.
  public func poolingWindow(level: Int) -> [Int] { (0..<dimensions).map { pools(level: level, axis: $0) ? 2 : 1 } }

  /// Channels at level i (0 = the first, `depth` = the bottom).
  public func channels(atLevel level: Int) -> Int { baseChannels << level }

  /// The output size for an input tile of `tile` pixels, or nil when some
  /// pooling would see an odd size or a size shrinks to nothing.
  public func outputSize(forTile tile: Int) -> Int? { outputSize(forTile: tile, axis: dimensions - 1) }

  /// The output size along `axis` (slowest first) for an input tile of
  /// `tile` pixels along it, or nil as `outputSize(forTile:)`.
  public func outputSize(forTile tile: Int, axis: Int) -> Int? {
    var size = tile
    for level in 0..<depth {
      size -= 4
      guard size > 0 else { return nil }
      if pools(level: level, axis: axis) {
        if size % 2 != 0 { return nil }
        size /= 2
      }
    }
    size -= 4
    if size <= 0 { return nil }
    for level in stride(from: depth - 1, through: 0, by: -1) {
      size = size * (pools(level: level, axis: axis) ? 2 : 1) - 4
    }
    return size > 0 ? size : nil
  }

  /// The output extent (slowest axis first) for an input tile of `tile`,
  /// or nil when an axis does not fit (see `outputSize(forTile:)`).
  public func outputExtent(forTile tile: [Int]) -> [Int]? {
    guard tile.count == dimensions else { return nil }
    var extent: [Int] = []
    for (axis, t) in tile.enumerated() {
      guard let size = outputSize(forTile: t, axis: axis) else { return nil }
      extent.append(size)
    }
    return extent
  }

  /// Pixels lost on each side between input tile and output (92 for the paper).
  public var margin: Int { margin(axis: dimensions - 1) }

  /// Pixels lost on each side along `axis` (slowest first).
  public func margin(axis: Int) -> Int {
    // Independent of the tile: every valid tile loses the same border.
    var lost = 0
    var scale = 1
    for level in 0..<depth {
      lost += 4 * scale
      if pools(level: level, axis: axis) { scale *= 2 }
    }
    lost += 4 * scale
    for level in stride(from: depth - 1, through: 0, by: -1) {
      if pools(level: level, axis: axis) { scale /= 2 }
      lost += 4 * scale
    }
    return lost / 2
  }

  /// The poolings of a 3-D network of `depth` levels that should leave the
  /// slice axis alone for volumes of `spacing`, by nnU-Net's rule (Isensee
  /// et al. 2021): an axis is pooled only while its spacing is at most twice
  /// the finest, each pooling doubling the spacing of the axes it halves.
  /// 0 for isotropic volumes; 1 for slices 3 or 4 times further apart than
  /// the pixels.
  public static func inPlanePoolings(for spacing: VoxelSpacing, depth: Int) -> Int {
    var (z, plane) = (spacing.z, min(spacing.y, spacing.x))
    for level in 0..<depth {
      if z <= 2 * min(z, plane) { return level }
      plane *= 2
    }
    return depth
  }

  /// The default tile of a 3-D network: along each axis the valid size
  /// nearest to 116 × 116 × 44 (W×H×D), below it where one exists.
  public var defaultVolumeTile: TileSize {
    let target = [44, 116, 116]
    return TileSize(
      (0..<3).map { axis in
        let near = nearestValidTiles(to: target[axis] + 1, axis: axis)
        return outputSize(forTile: target[axis], axis: axis) != nil ? target[axis] : near.first ?? target[axis]
      })
  }

  /// The margins of every axis, slowest first.
  public var margins: [Int] { (0..<dimensions).map { margin(axis: $0) } }

  /// Valid tiles are `2^depth · m + c` for one constant c; this returns the
  /// valid tile sizes nearest to `tile` (one below, one above, when they exist).
  public func nearestValidTiles(to tile: Int) -> [Int] { nearestValidTiles(to: tile, axis: dimensions - 1) }

  /// The valid sizes along `axis` nearest to `tile` (one below, one above).
  public func nearestValidTiles(to tile: Int, axis: Int) -> [Int] {
    let step = 1 << depth
    var below: Int?
    var above: Int?
    var t = tile - 1
    while t > 0 && t > tile - 2 * step - 1 {
      if outputSize(forTile: t, axis: axis) != nil { below = t; break }
      t -= 1
    }
    t = tile + 1
    while t < tile + 2 * step + 1 + 2 * margin(axis: axis) {
      if outputSize(forTile: t, axis: axis) != nil { above = t; break }
      t += 1
    }
    return [below, above].compactMap { $0 }
  }

  /// Checks a square 2-D tile size; the error names the nearest valid sizes.
  public func validateTile(_ tile: Int) throws -> Int {
    if dimensions == 2, let output = outputSize(forTile: tile) { return output }
    return try validateTile(TileSize(Array(repeating: tile, count: dimensions)))[0]
  }

  /// Checks a tile: its dimensionality, and along every axis that each
  /// pooling sees an even size; the error names the nearest valid tiles.
  /// Returns the output extent (slowest axis first).
  public func validateTile(_ tile: TileSize) throws -> [Int] {
    guard tile.extent.count == dimensions else {
      throw TrainingError.invalidTile(
        "tile \(tile) has \(tile.extent.count) dimensions, but the network is \(dimensions)-D; give it as "
          + (dimensions == 3 ? "WxHxD, e.g. 116x116x44" : "one size, e.g. 572"))
    }
    if let output = outputExtent(forTile: tile.extent) { return output }
    var nearest = [[Int]]()
    for (axis, t) in tile.extent.enumerated() {
      nearest.append(outputSize(forTile: t, axis: axis) != nil ? [t] : nearestValidTiles(to: t, axis: axis))
    }
    let near: String
    if nearest.contains(where: \.isEmpty) {
      near = ""
    } else if dimensions == 2 && tile.isSquare {
      near = nearest[0].map(String.init).joined(separator: " or ")
    } else {
      // Every combination of the nearest sizes per axis, each once.
      var combinations: [[Int]] = [[]]
      for sizes in nearest { combinations = combinations.flatMap { c in sizes.map { c + [$0] } } }
      near = combinations.map { TileSize($0).description }.joined(separator: " or ")
    }
    let why = dimensions == 2 || inPlanePoolings == 0
      ? "every pooling needs an even size" : "every pooling needs an even size along the axes it halves"
    throw TrainingError.invalidTile(
      "tile \(tile) is not valid for depth \(depth)\(inPlanePoolings > 0 ? " with \(inPlanePoolings) in-plane poolings" : ""): \(why)"
        + (near.isEmpty ? "" : "; nearest valid tiles: \(near)"))
  }

  /// Convolution layers (3×3, 2×2 up and the final 1×1): 23 for the paper.
  public var convolutionCount: Int { 2 * (depth + 1) + 3 * depth + 1 }
}

/// Errors of the trainer and its inputs; the description is one line.
public struct TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
  public static func invalidTile(_ reason: String) -> TrainingError { TrainingError(reason) }
}

/// One learnable tensor, named and shaped as in a plain PyTorch U-Net module
/// (`down.i.0.weight`, `up.j.weight`, `dec.j.2.bias`, `head.weight`, …).
public struct ParameterSpec: Sendable, Hashable, Codable {
  public enum Role: String, Sendable, Hashable, Codable {
    /// A 3×3 (or the head's 1×1) convolution's weight, [out, in, kh, kw]
    /// ([out, in, kd, kh, kw] in 3-D).
    case convolutionWeight
    /// A 2×2 stride-2 transposed convolution's weight, [in, out, 2, 2]
    /// (PyTorch's order; [in, out, wd, 2, 2] in 3-D, wd the window's depth).
    case upConvolutionWeight
    /// A bias, [out].
    case bias
    /// A normalisation layer's scale γ (`BatchNorm2d.weight`), [C]; starts at 1.
    case normScale
    /// A normalisation layer's shift β (`BatchNorm2d.bias`), [C]; starts at 0.
    case normShift
  }
  public var name: String
  public var shape: [Int]
  public var role: Role
  /// Inputs feeding each output (the N of He initialisation's √(2/N)).
  public var fanIn: Int
  public var count: Int { shape.reduce(1, *) }
}

extension Architecture {
  /// The indices, within a block's `nn.Sequential`, of its first
  /// convolution, first normalisation, second convolution and second
  /// normalisation: Conv2d-ReLU-Conv2d-ReLU (0 and 2) without
  /// normalisation layers, Conv2d-BatchNorm2d-ReLU twice (0, 1, 3, 4) with.
  var blockIndices: (conv1: Int, norm1: Int, conv2: Int, norm2: Int) {
    normLayer == .none ? (0, -1, 2, -1) : (0, 1, 3, 4)
  }

  /// The module names of the blocks (two 3×3 convolutions each) in graph
  /// order: `down.0` … `down.depth`, then `dec.0` … `dec.(depth−1)`.
  var blockNames: [String] { (0...depth).map { "down.\($0)" } + (0..<depth).map { "dec.\($0)" } }

  /// The channels of block `name`'s convolutions.
  private func blockChannels(_ index: Int) -> Int {
    index <= depth ? channels(atLevel: index) : channels(atLevel: 2 * depth - index)
  }

  /// Every parameter in a fixed order: the contracting path level by level
  /// (two convolutions each, the bottom last), then per expanding step its
  /// up-convolution and two convolutions, then the 1×1 head. With
  /// normalisation layers each 3×3 convolution has no bias and is followed
  /// by its normalisation's scale and shift.
  ///
  /// The names are those of a PyTorch module with `down` (ModuleList of
  /// Conv-ReLU-Conv-ReLU blocks, or Conv-BatchNorm-ReLU twice), `up`
  /// (ConvTranspose2d list, deepest first), `dec` (blocks, deepest first)
  /// and `head` (Conv2d 1×1); the decoder input is `cat([crop(skip), up(x)], dim=1)`.
  public var parameterSpecs: [ParameterSpec] {
    var specs: [ParameterSpec] = []
    func conv(_ prefix: String, _ cin: Int, _ cout: Int, _ k: Int, bias: Bool = true) {
      let taps = Array(repeating: k, count: dimensions)
      let fanIn = cin * taps.reduce(1, *)
      specs.append(.init(name: prefix + ".weight", shape: [cout, cin] + taps, role: .convolutionWeight, fanIn: fanIn))
      if bias { specs.append(.init(name: prefix + ".bias", shape: [cout], role: .bias, fanIn: fanIn)) }
    }
    let b = blockIndices
    func block(_ prefix: String, _ cin: Int, _ cout: Int) {
      let norm = normLayer != .none
      conv("\(prefix).\(b.conv1)", cin, cout, 3, bias: !norm)
      if norm {
        specs.append(.init(name: "\(prefix).\(b.norm1).weight", shape: [cout], role: .normScale, fanIn: 1))
        specs.append(.init(name: "\(prefix).\(b.norm1).bias", shape: [cout], role: .normShift, fanIn: 1))
      }
      conv("\(prefix).\(b.conv2)", cout, cout, 3, bias: !norm)
      if norm {
        specs.append(.init(name: "\(prefix).\(b.norm2).weight", shape: [cout], role: .normScale, fanIn: 1))
        specs.append(.init(name: "\(prefix).\(b.norm2).bias", shape: [cout], role: .normShift, fanIn: 1))
      }
    }
    for level in 0...depth {
      let cin = level == 0 ? inputChannels : channels(atLevel: level - 1)
      block("down.\(level)", cin, channels(atLevel: level))
    }
    for step in 0..<depth {
      let level = depth - step
      let cin = channels(atLevel: level)
      let cout = channels(atLevel: level - 1)
      // ConvTranspose2d (3d): each output sees cin inputs through one kernel tap.
      let window = poolingWindow(level: level - 1)
      specs.append(.init(name: "up.\(step).weight", shape: [cin, cout] + window, role: .upConvolutionWeight, fanIn: cin))
      specs.append(.init(name: "up.\(step).bias", shape: [cout], role: .bias, fanIn: cin))
      block("dec.\(step)", 2 * cout, cout)
    }
    conv("head", baseChannels, classes, 1)
    return specs
  }

  /// The module names of the normalisation layers in graph order
  /// (`down.0.1`, `down.0.4`, …); empty without normalisation layers.
  public var normLayerNames: [String] {
    guard normLayer != .none else { return [] }
    let b = blockIndices
    return blockNames.flatMap { ["\($0).\(b.norm1)", "\($0).\(b.norm2)"] }
  }

  /// The running statistics of the normalisation layers, in graph order:
  /// per layer `NAME.running_mean` and `NAME.running_var`, [C] each.
  public var statisticSpecs: [StatisticSpec] {
    zip(normLayerNames, normLayerChannels).flatMap { name, c in
      [
        StatisticSpec(name: name + ".running_mean", shape: [c], role: .mean),
        StatisticSpec(name: name + ".running_var", shape: [c], role: .variance),
      ]
    }
  }

  /// The channels of each normalisation layer, in `normLayerNames` order.
  private var normLayerChannels: [Int] {
    guard normLayer != .none else { return [] }
    return blockNames.indices.flatMap { [blockChannels($0), blockChannels($0)] }
  }
}
