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

  /// The paper's network: 1 input channel, 2 classes, 64 base channels, depth 4, dropout 0.5.
  public static let paper = Architecture(inputChannels: 1, classes: 2, baseChannels: 64, depth: 4, dropout: 0.5)

  public init(inputChannels: Int, classes: Int, baseChannels: Int, depth: Int, dropout: Double) {
    self.inputChannels = inputChannels
    self.classes = classes
    self.baseChannels = baseChannels
    self.depth = depth
    self.dropout = dropout
  }

  /// A one-line reason when a number is out of range, else nil.
  public var problem: String? {
    if !(1...4).contains(inputChannels) { return "input channels \(inputChannels) must be 1 to 4" }
    if !(2...255).contains(classes) { return "classes \(classes) must be 2 to 255" }
    if !(1...1024).contains(baseChannels) { return "base channels \(baseChannels) must be 1 to 1024" }
    if !(1...6).contains(depth) { return "depth \(depth) must be 1 to 6" }
    if baseChannels << depth > 16384 { return "base channels \(baseChannels) at depth \(depth) give more than 16384 channels" }
    if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) must be in [0, 1)" }
    return nil
  }

  /// Channels at level i (0 = the first, `depth` = the bottom).
  public func channels(atLevel level: Int) -> Int { baseChannels << level }

  /// The output size for an input tile of `tile` pixels, or nil when some
  /// pooling would see an odd size or a size shrinks to nothing.
  public func outputSize(forTile tile: Int) -> Int? {
    var size = tile
    for _ in 0..<depth {
      size -= 4
      if size <= 0 || size % 2 != 0 { return nil }
      size /= 2
    }
    size -= 4
    if size <= 0 { return nil }
    for _ in 0..<depth { size = size * 2 - 4 }
    return size > 0 ? size : nil
  }

  /// Pixels lost on each side between input tile and output (92 for the paper).
  public var margin: Int {
    // Independent of the tile: every valid tile loses the same border.
    var lost = 0
    var scale = 1
    for _ in 0..<depth {
      lost += 4 * scale
      scale *= 2
    }
    lost += 4 * scale
    for _ in 0..<depth {
      scale /= 2
      lost += 4 * scale
    }
    return lost / 2
  }

  /// Valid tiles are `2^depth · m + c` for one constant c; this returns the
  /// valid tile sizes nearest to `tile` (one below, one above, when they exist).
  public func nearestValidTiles(to tile: Int) -> [Int] {
    let step = 1 << depth
    var below: Int?
    var above: Int?
    var t = tile - 1
    while t > 0 && t > tile - 2 * step - 1 {
      if outputSize(forTile: t) != nil { below = t; break }
      t -= 1
    }
    t = tile + 1
    while t < tile + 2 * step + 1 + 2 * margin {
      if outputSize(forTile: t) != nil { above = t; break }
      t += 1
    }
    return [below, above].compactMap { $0 }
  }

  /// Checks a tile size; the error names the nearest valid sizes.
  public func validateTile(_ tile: Int) throws -> Int {
    if let output = outputSize(forTile: tile) { return output }
    let near = nearestValidTiles(to: tile).map(String.init).joined(separator: " or ")
    throw TrainingError.invalidTile(
      "tile \(tile) is not valid for depth \(depth): every pooling needs an even size"
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
    /// A 3×3 (or the head's 1×1) convolution's weight, [out, in, kh, kw].
    case convolutionWeight
    /// A 2×2 stride-2 transposed convolution's weight, [in, out, 2, 2] (PyTorch's order).
    case upConvolutionWeight
    /// A bias, [out].
    case bias
  }
  public var name: String
  public var shape: [Int]
  public var role: Role
  /// Inputs feeding each output (the N of He initialisation's √(2/N)).
  public var fanIn: Int
  public var count: Int { shape.reduce(1, *) }
}

extension Architecture {
  /// Every parameter in a fixed order: the contracting path level by level
  /// (two convolutions each, the bottom last), then per expanding step its
  /// up-convolution and two convolutions, then the 1×1 head.
  ///
  /// The names are those of a PyTorch module with `down` (ModuleList of
  /// Conv-ReLU-Conv-ReLU blocks), `up` (ConvTranspose2d list, deepest first),
  /// `dec` (blocks, deepest first) and `head` (Conv2d 1×1); the decoder input
  /// is `cat([crop(skip), up(x)], dim=1)`.
  public var parameterSpecs: [ParameterSpec] {
    var specs: [ParameterSpec] = []
    func conv(_ prefix: String, _ cin: Int, _ cout: Int, _ k: Int) {
      specs.append(.init(name: prefix + ".weight", shape: [cout, cin, k, k], role: .convolutionWeight, fanIn: cin * k * k))
      specs.append(.init(name: prefix + ".bias", shape: [cout], role: .bias, fanIn: cin * k * k))
    }
    for level in 0...depth {
      let cin = level == 0 ? inputChannels : channels(atLevel: level - 1)
      conv("down.\(level).0", cin, channels(atLevel: level), 3)
      conv("down.\(level).2", channels(atLevel: level), channels(atLevel: level), 3)
    }
    for step in 0..<depth {
      let level = depth - step
      let cin = channels(atLevel: level)
      let cout = channels(atLevel: level - 1)
      // ConvTranspose2d: each output sees cin inputs through one kernel tap.
      specs.append(.init(name: "up.\(step).weight", shape: [cin, cout, 2, 2], role: .upConvolutionWeight, fanIn: cin))
      specs.append(.init(name: "up.\(step).bias", shape: [cout], role: .bias, fanIn: cin))
      conv("dec.\(step).0", 2 * cout, cout, 3)
      conv("dec.\(step).2", cout, cout, 3)
    }
    conv("head", baseChannels, classes, 1)
    return specs
  }
}
