/// The JSON form of an architecture, stored in checkpoints and in the
/// `architecture` metadata of weights files (which PyTorch code passes to
/// the module as keyword arguments, see examples/pytorch).
///
/// `dimensions` and `inPlanePoolings` are written only for a 3-D network
/// (a form without them reads as 2-D), and
/// `normLayer` only when there are normalisation layers, so a
/// network without them is written exactly as before the option existed;
/// a form without it (every earlier checkpoint and weights file) reads as
/// `none`. A `normLayer` this version does not know is a decoding error
/// that names it.
extension Architecture {
  private enum CodingKeys: String, CodingKey {
    case inputChannels, classes, baseChannels, depth, dropout, normLayer, dimensions, inPlanePoolings
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    var normLayer = NormLayer.none
    if let name = try c.decodeIfPresent(String.self, forKey: .normLayer) {
      guard let known = NormLayer(rawValue: name) else {
        throw DecodingError.dataCorruptedError(
          forKey: .normLayer, in: c,
          debugDescription: "normLayer \"\(name)\" is not one this version knows (\(NormLayer.allCases.map(\.rawValue).joined(separator: ", ")))")
      }
      normLayer = known
    }
    self.init(
      inputChannels: try c.decode(Int.self, forKey: .inputChannels), classes: try c.decode(Int.self, forKey: .classes),
      baseChannels: try c.decode(Int.self, forKey: .baseChannels), depth: try c.decode(Int.self, forKey: .depth),
      dropout: try c.decode(Double.self, forKey: .dropout),
      normLayer: normLayer, dimensions: try c.decodeIfPresent(Int.self, forKey: .dimensions) ?? 2,
      inPlanePoolings: try c.decodeIfPresent(Int.self, forKey: .inPlanePoolings) ?? 0)
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(inputChannels, forKey: .inputChannels)
    try c.encode(classes, forKey: .classes)
    try c.encode(baseChannels, forKey: .baseChannels)
    try c.encode(depth, forKey: .depth)
    try c.encode(dropout, forKey: .dropout)
    if normLayer != .none { try c.encode(normLayer, forKey: .normLayer) }
    if dimensions != 2 { try c.encode(dimensions, forKey: .dimensions) }
    if inPlanePoolings != 0 { try c.encode(inPlanePoolings, forKey: .inPlanePoolings) }
  }
}
