import Foundation

/// The optimisers' rules on oneDNN's buffers, element by element in the
/// parameters' native layout (the zero padding some layouts carry has zero
/// gradients and zero values, and every rule keeps it at zero).
extension DNNLGraph {
  func update(_ optimizer: Optimizer, learningRate: Float, step: Int) throws {
    guard training else { throw TrainingError("update needs a training graph") }
    guard step >= 1 else { throw TrainingError("update step \(step) must count from 1") }
    switch optimizer {
    case .sgd(let momentum, let nesterov, let weightDecay):
      try sgdStep(learningRate: learningRate, momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(weightDecay))
    case .adam(let b1, let b2, let e, let w):
      try adamStep(learningRate: learningRate, beta1: b1, beta2: b2, epsilon: e, l2: Float(w), decoupled: 0, step: step)
    case .adamw(let b1, let b2, let e, let w):
      try adamStep(learningRate: learningRate, beta1: b1, beta2: b2, epsilon: e, l2: 0, decoupled: Float(w), step: step)
    }
  }

  /// SGD with momentum as in PyTorch: g ← g + λ·p, v ← μ·v + g, then
  /// p ← p − η·v, or p ← p − η·(g + μ·v) with Nesterov momentum.
  private func sgdStep(learningRate: Float, momentum mu: Float, nesterov: Bool, weightDecay: Float) throws {
    for p in params {
      let w = p!.value.floats
      let g = p!.gradient!.floats
      let v = try p!.slot("momentum", context: context).floats
      for k in 0..<w.count {
        let gradient = weightDecay == 0 ? g[k] : g[k] + weightDecay * w[k]
        let velocity = mu * v[k] + gradient
        v[k] = velocity
        w[k] -= learningRate * (nesterov ? gradient + mu * velocity : velocity)
      }
    }
  }

  /// Adam as PyTorch computes it: m ← β₁·m + (1−β₁)·g, v ← β₂·v + (1−β₂)·g²,
  /// p ← p − (η/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε); `l2` adds λ·p to g first
  /// (Adam's weight decay), `decoupled` scales p by 1 − η·λ first (AdamW's).
  private func adamStep(
    learningRate: Float, beta1: Double, beta2: Double, epsilon: Double, l2: Float, decoupled: Float, step: Int
  ) throws {
    let b1 = Float(beta1)
    let b2 = Float(beta2)
    let eps = Float(epsilon)
    let stepSize = Float(Double(learningRate) / (1 - pow(beta1, Double(step))))
    let correction2 = Float((1 - pow(beta2, Double(step))).squareRoot())
    let shrink = 1 - learningRate * decoupled
    for p in params {
      let w = p!.value.floats
      let g = p!.gradient!.floats
      let m = try p!.slot("moment1", context: context).floats
      let v = try p!.slot("moment2", context: context).floats
      for k in 0..<w.count {
        if decoupled != 0 { w[k] *= shrink }
        let gradient = l2 == 0 ? g[k] : g[k] + l2 * w[k]
        m[k] = b1 * m[k] + (1 - b1) * gradient
        v[k] = b2 * v[k] + (1 - b2) * gradient * gradient
        w[k] -= stepSize * m[k] / (v[k].squareRoot() / correction2 + eps)
      }
    }
  }
}
