/// Which neighbours of a pixel count as touching it.
public enum Connectivity: String, Sendable, CaseIterable, Codable {
  /// The 4 edge neighbours (left, right, up, down).
  case four
  /// The 8 edge and corner neighbours.
  case eight
}
