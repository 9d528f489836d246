import ArgumentParser
import Foundation
import UNet

/// `--optimizer`'s values.
enum OptimizerName: String, ExpressibleByArgument, CaseIterable {
  case sgd, adam, adamw
}

/// `--betas B1,B2`: Adam's and AdamW's β₁ and β₂.
struct Betas: ExpressibleByArgument, Equatable {
  var beta1: Double
  var beta2: Double

  init?(argument: String) {
    let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
    guard parts.count == 2, let b1 = Double(parts[0]), let b2 = Double(parts[1]) else { return nil }
    (beta1, beta2) = (b1, b2)
  }

  var description: String { "\(beta1),\(beta2)" }
}

extension Recipe: ExpressibleByArgument {
  public init?(argument: String) {
    guard let recipe = Recipe.named(argument) else { return nil }
    self = recipe
  }

  public static var allValueStrings: [String] { all.map(\.name) }
}

extension Train {
  /// The recipe a new run starts from.
  var chosenRecipe: Recipe { recipe ?? .default }

  /// The optimiser the options describe, starting from `base` (the
  /// recipe's): `--optimizer` picks the kind (with PyTorch's defaults when
  /// it is not the base's), the other options set its values.
  func optimizer(startingFrom base: Optimizer) throws -> Optimizer {
    let kind = optimizer?.rawValue ?? base.name
    let start: Optimizer = kind == base.name ? base : kind == "sgd" ? .paper : kind == "adam" ? .adam() : .adamw()
    switch start {
    case .sgd(let m, let n, let w):
      if betas != nil || eps != nil { throw ValidationError("--betas and --eps apply to --optimizer adam and adamw, not sgd") }
      return .sgd(momentum: momentum ?? m, nesterov: nesterov ?? n, weightDecay: weightDecay ?? w)
    case .adam(let b1, let b2, let e, let w), .adamw(let b1, let b2, let e, let w):
      if momentum != nil || nesterov != nil {
        throw ValidationError("--momentum and --nesterov apply to --optimizer sgd, not \(kind)")
      }
      let (beta1, beta2) = (betas?.beta1 ?? b1, betas?.beta2 ?? b2)
      let (epsilon, decay) = (eps ?? e, weightDecay ?? w)
      return kind == "adam"
        ? .adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay)
        : .adamw(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: decay)
    }
  }

  /// On --resume, the optimiser options and the values of `--recipe` that
  /// no option overrides, beside the resumed run's: (option, given, stored).
  func resumedChoices(_ c: TrainingConfiguration) -> [(String, String?, String)] {
    let o = c.optimizer
    var given: [(String, String?, String)] = [
      ("--optimizer", optimizer?.rawValue, o.name),
      ("--momentum", momentum.map { "\($0)" }, o.momentum.map { "\($0)" } ?? o.name),
      (nesterov == false ? "--no-nesterov" : "--nesterov", nesterov.map { "\($0)" }, o.nesterov.map { "\($0)" } ?? o.name),
      ("--weight-decay", weightDecay.map { "\($0)" }, "\(o.weightDecay)"),
      ("--betas", betas?.description, o.betas.map { "\($0.0),\($0.1)" } ?? o.name),
      ("--eps", eps.map { "\($0)" }, o.epsilon.map { "\($0)" } ?? o.name),
    ]
    guard let recipe else { return given }
    let a = c.architecture
    let optimizerOptions: [Any?] = [optimizer, momentum, nesterov, weightDecay, betas, eps]
    let named = "--recipe \(recipe.name)"
    given += [
      ("\(named) (lr)", lr == nil ? "\(recipe.learningRate)" : nil, "\(c.learningRate)"),
      (
        "\(named) (optimizer)", optimizerOptions.allSatisfy { $0 == nil } ? recipe.optimizer.summary : nil,
        o.summary
      ),
      ("\(named) (schedule)", schedule == nil ? recipe.schedule.rawValue : nil, c.schedule.rawValue),
      ("\(named) (base channels)", baseChannels == nil ? "\(recipe.baseChannels)" : nil, "\(a.baseChannels)"),
      ("\(named) (depth)", depth == nil ? "\(recipe.depth)" : nil, "\(a.depth)"),
      ("\(named) (dropout)", dropout == nil ? "\(recipe.dropout)" : nil, "\(a.dropout)"),
      ("\(named) (norm layer)", normLayer == nil ? recipe.normLayer.rawValue : nil, a.normLayer.rawValue),
      ("\(named) (tile)", tile == nil ? "\(recipe.tile)" : nil, "\(c.tile)"),
      ("\(named) (batch)", batch == nil ? "\(recipe.batch)" : nil, "\(c.batch)"),
    ]
    return given
  }
}
