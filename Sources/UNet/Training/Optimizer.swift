import Foundation

/// How a training step changes the parameters, and the state it keeps.
///
/// Backends implement each case in `CompiledGraph.update`; the state lives
/// in the backend as named slots (`slots`), one array per parameter each,
/// and checkpoints store it under those names. A new optimiser is a case
/// here, its slot names, its check in `problem`, and its rule in each
/// backend's `update`; Adam would be `.adam(beta1:beta2:epsilon:)` with the
/// slots `moment1` and `moment2`.
public enum Optimizer: Sendable, Hashable {
  /// SGD with momentum as PyTorch's `torch.optim.SGD` (and the paper's,
  /// μ = 0.99): v ← μ·v + g, p ← p − η·v. One slot, `momentum` (v).
  case sgd(momentum: Double)

  /// The paper's optimiser: SGD with momentum 0.99.
  public static let paper = Optimizer.sgd(momentum: 0.99)

  /// A short name: `sgd`.
  public var name: String {
    switch self {
    case .sgd: "sgd"
    }
  }

  /// The names of the per-parameter state, in the order checkpoints store them.
  public var slots: [String] {
    switch self {
    case .sgd: ["momentum"]
    }
  }

  /// SGD's momentum; nil for other optimisers.
  public var momentum: Double? {
    switch self {
    case .sgd(let momentum): momentum
    }
  }

  /// A one-line reason when a value is out of range, else nil.
  public var problem: String? {
    switch self {
    case .sgd(let momentum):
      momentum >= 0 && momentum < 1 ? nil : "momentum \(momentum) must be in [0, 1)"
    }
  }

  /// For logs: `SGD, momentum 0.99`.
  public var summary: String {
    switch self {
    case .sgd(let momentum): "SGD, momentum \(momentum)"
    }
  }
}

extension Optimizer: Codable {
  private enum CodingKeys: String, CodingKey {
    case name, momentum
  }

  /// `{"name": "sgd", "momentum": 0.99}`.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    switch self {
    case .sgd(let momentum): try c.encode(momentum, forKey: .momentum)
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let name = try c.decode(String.self, forKey: .name)
    switch name {
    case "sgd": self = .sgd(momentum: try c.decode(Double.self, forKey: .momentum))
    default:
      throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "unknown optimizer \(name)")
    }
  }
}
