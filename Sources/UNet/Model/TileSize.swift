/// The input tile of a network: one size for the square tiles of a 2-D
/// network (572 in the paper), or width × height × depth for a 3-D one
/// (such as 116×116×44). Held as the extent along each spatial axis,
/// slowest first (y, x; or z, y, x), the order of the tensors.
///
/// Written as users type it: `572`, or `116x116x44` (W×H×D). In JSON a
/// 2-D tile is its number, as before volumes existed; a 3-D tile is the
/// array `[W, H, D]`.
public struct TileSize: Sendable, Hashable, Codable, CustomStringConvertible, ExpressibleByIntegerLiteral {
  /// Pixels along each axis, slowest first.
  public var extent: [Int]

  /// - Parameter extent: pixels along each axis, slowest first.
  public init(_ extent: [Int]) { self.extent = extent }

  /// A square 2-D tile.
  public init(square side: Int) { extent = [side, side] }

  /// A square 2-D tile: `572`.
  public init(integerLiteral side: Int) { self.init(square: side) }

  /// A 3-D tile of `width` × `height` × `depth` voxels.
  public init(width: Int, height: Int, depth: Int) { extent = [depth, height, width] }

  /// Parses `N` (a square 2-D tile) or `WxHxD` (a 3-D tile); nil otherwise.
  public init?(parsing text: String) {
    let parts = text.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
    guard !parts.contains(where: { $0 == nil || $0! < 1 }) else { return nil }
    switch parts.count {
    case 1: self.init(square: parts[0]!)
    case 3: self.init(width: parts[0]!, height: parts[1]!, depth: parts[2]!)
    default: return nil
    }
  }

  /// 2 or 3.
  public var dimensions: Int { extent.count }
  /// Whether every axis has the same size.
  public var isSquare: Bool { extent.allSatisfy { $0 == extent[0] } }
  /// The side of a square tile (the x extent otherwise).
  public var side: Int { extent[extent.count - 1] }
  /// Pixels (voxels) in the tile.
  public var count: Int { extent.reduce(1, *) }

  /// `572` for a square 2-D tile, else the sizes from x to the slowest axis
  /// joined by `x` (`116x116x44`).
  public var description: String {
    extent.count == 2 && isSquare ? String(extent[0]) : extent.reversed().map(String.init).joined(separator: "x")
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let side = try? c.decode(Int.self) {
      self.init(square: side)
    } else {
      let sizes = try c.decode([Int].self)
      guard sizes.count == 3 else {
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "a tile is a number or [W, H, D]")
      }
      self.init(sizes.reversed())
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    if extent.count == 2 && isSquare { try c.encode(extent[0]) } else { try c.encode(Array(extent.reversed())) }
  }
}
