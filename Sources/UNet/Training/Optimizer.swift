import Foundation

/// How a training step changes the parameters, and the state it keeps.
///
/// Backends implement each case in `CompiledGraph.update`; the state lives
/// in the backend as named slots (`slots`), one array per parameter each,
/// and checkpoints store it under those names. Adam's step count t is the
/// run's step (the number of updates), which checkpoints store too. A new
/// optimiser is a case here, its slot names, its check in `problem`, and
/// its rule in each backend's `update`.
///
/// The rules are PyTorch's (`torch.optim.SGD`, `Adam`, `AdamW`, as their
/// documentation writes them out), with `weightDecay` as their
/// `weight_decay`: an L2 term added to the gradient for SGD and Adam,
/// decoupled (p ← p − η·λ·p before the step) for AdamW (Loshchilov and
/// Hutter 2019).
public enum Optimizer: Sendable, Hashable {
  /// SGD with momentum as PyTorch's `torch.optim.SGD` (and the paper's,
  /// μ = 0.99): g ← g + λ·p, v ← μ·v + g, p ← p − η·v; with Nesterov
  /// momentum the step is p ← p − η·(g + μ·v). One slot, `momentum` (v).
  case sgd(momentum: Double, nesterov: Bool = false, weightDecay: Double = 0)

  /// Adam (Kingma and Ba 2015) as `torch.optim.Adam`: g ← g + λ·p,
  /// m ← β₁·m + (1−β₁)·g, v ← β₂·v + (1−β₂)·g²,
  /// p ← p − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
  /// Slots `moment1` (m) and `moment2` (v).
  case adam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0)

  /// AdamW as `torch.optim.AdamW`: p ← p·(1 − η·λ), then Adam's step
  /// without the L2 term. Slots `moment1` and `moment2`.
  case adamw(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01)

  /// The paper's optimiser: SGD with momentum 0.99.
  public static let paper = Optimizer.sgd(momentum: 0.99)

  /// The optimisers by kind, without their settings.
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    case sgd, adam, adamw

    /// This kind with its defaults: the paper's momentum 0.99 for SGD, and
    /// PyTorch's for Adam and AdamW.
    public var defaults: Optimizer {
      switch self {
      case .sgd: .paper
      case .adam: .adam()
      case .adamw: .adamw()
      }
    }
  }

  /// Which optimiser this is.
  public var kind: Kind {
    switch self {
    case .sgd: .sgd
    case .adam: .adam
    case .adamw: .adamw
    }
  }

  /// A short name: `sgd`, `adam` or `adamw`.
  public var name: String { kind.rawValue }

  /// The names of the per-parameter state, in the order checkpoints store them.
  public var slots: [String] {
    switch self {
    case .sgd: ["momentum"]
    case .adam, .adamw: ["moment1", "moment2"]
    }
  }

  /// SGD's momentum; nil for other optimisers.
  public var momentum: Double? {
    if case .sgd(let momentum, _, _) = self { return momentum }
    return nil
  }

  /// Whether SGD uses Nesterov momentum; nil for other optimisers.
  public var nesterov: Bool? {
    if case .sgd(_, let nesterov, _) = self { return nesterov }
    return nil
  }

  /// Adam's and AdamW's (β₁, β₂); nil for SGD.
  public var betas: (Double, Double)? {
    switch self {
    case .sgd: nil
    case .adam(let b1, let b2, _, _), .adamw(let b1, let b2, _, _): (b1, b2)
    }
  }

  /// Adam's and AdamW's ε; nil for SGD.
  public var epsilon: Double? {
    switch self {
    case .sgd: nil
    case .adam(_, _, let e, _), .adamw(_, _, let e, _): e
    }
  }

  /// The weight decay λ (PyTorch's `weight_decay`).
  public var weightDecay: Double {
    switch self {
    case .sgd(_, _, let w), .adam(_, _, _, let w), .adamw(_, _, _, let w): w
    }
  }

  /// A one-line reason when a value is out of range, else nil.
  public var problem: ConfigurationError? {
    func invalid(_ setting: String, _ value: Any, _ requirement: String) -> ConfigurationError {
      ConfigurationError(setting: setting, value: "\(value)", requirement: requirement)
    }
    if !(weightDecay >= 0 && weightDecay.isFinite) { return invalid("weightDecay", weightDecay, "finite and >= 0") }
    switch self {
    case .sgd(let momentum, let nesterov, _):
      if !(momentum >= 0 && momentum < 1) { return invalid("momentum", momentum, "in [0, 1)") }
      if nesterov && momentum == 0 { return invalid("nesterov", true, "used with a momentum above 0") }
      return nil
    case .adam(let b1, let b2, let e, _), .adamw(let b1, let b2, let e, _):
      if !([b1, b2].allSatisfy { $0 >= 0 && $0 < 1 }) { return invalid("betas", "\(b1),\(b2)", "in [0, 1), both") }
      return e > 0 && e.isFinite ? nil : invalid("epsilon", e, "finite and > 0")
    }
  }

  /// For logs: `SGD, momentum 0.99`, `AdamW, betas (0.9, 0.999), eps 1e-08, weight decay 0.01`.
  public var summary: String {
    let decay = weightDecay == 0 ? "" : ", weight decay \(weightDecay)"
    switch self {
    case .sgd(let momentum, let nesterov, _):
      return "SGD, \(nesterov ? "Nesterov " : "")momentum \(momentum)" + decay
    case .adam(let b1, let b2, let e, _), .adamw(let b1, let b2, let e, _):
      return "\(kind == .adam ? "Adam" : "AdamW"), betas (\(b1), \(b2)), eps \(e)" + decay
    }
  }
}

extension Optimizer: Codable {
  private enum CodingKeys: String, CodingKey {
    case name, momentum, nesterov, beta1, beta2, epsilon
    case weightDecay = "weight_decay"
  }

  /// `{"name": "sgd", "momentum": 0.99}` (SGD's `nesterov` and
  /// `weight_decay` only when set, so that the paper's configuration reads
  /// as it always did); Adam and AdamW write every value.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(name, forKey: .name)
    switch self {
    case .sgd(let momentum, let nesterov, let weightDecay):
      try c.encode(momentum, forKey: .momentum)
      if nesterov { try c.encode(true, forKey: .nesterov) }
      if weightDecay != 0 { try c.encode(weightDecay, forKey: .weightDecay) }
    case .adam(let b1, let b2, let e, let w), .adamw(let b1, let b2, let e, let w):
      try c.encode(b1, forKey: .beta1)
      try c.encode(b2, forKey: .beta2)
      try c.encode(e, forKey: .epsilon)
      try c.encode(w, forKey: .weightDecay)
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let name = try c.decode(String.self, forKey: .name)
    switch name {
    case "sgd":
      self = .sgd(
        momentum: try c.decode(Double.self, forKey: .momentum),
        nesterov: try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? false,
        weightDecay: try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? 0)
    case "adam", "adamw":
      let (b1, b2) = (try c.decode(Double.self, forKey: .beta1), try c.decode(Double.self, forKey: .beta2))
      let (e, w) = (try c.decode(Double.self, forKey: .epsilon), try c.decode(Double.self, forKey: .weightDecay))
      self = name == "adam" ? .adam(beta1: b1, beta2: b2, epsilon: e, weightDecay: w) : .adamw(beta1: b1, beta2: b2, epsilon: e, weightDecay: w)
    default:
      throw DecodingError.dataCorruptedError(forKey: .name, in: c, debugDescription: "unknown optimizer \(name)")
    }
  }
}
