/// The parameters, their gradients and the optimiser's state as they cross
/// the boundary: plain arrays in `Graph.parameters` order and shapes.
extension DNNLGraph {
  func setParameters(_ values: [[Float]]) {
    precondition(values.count == params.count, "\(values.count) parameter tensors for \(params.count)")
    for (p, v) in zip(params, values) { p!.load(v, into: p!.value, context: context) }
  }

  func parameters() -> [[Float]] { params.map { $0!.read($0!.value, context: context) } }

  func optimizerState() -> [String: [[Float]]] {
    guard let names = params.first??.slots.keys else { return [:] }
    var state: [String: [[Float]]] = [:]
    for name in names { state[name] = params.map { $0!.read($0!.slots[name]!, context: context) } }
    return state
  }

  func setOptimizerState(_ slots: [String: [[Float]]]) throws {
    guard training else { throw TrainingError("optimiser state needs a training graph") }
    for (name, values) in slots {
      guard values.count == params.count else {
        throw TrainingError("optimiser slot \(name): \(values.count) arrays for \(params.count) parameters")
      }
      for (p, v) in zip(params, values) {
        guard v.count == p!.spec.count else {
          throw TrainingError("optimiser slot \(name): \(v.count) values for \(p!.spec.name) of shape \(p!.spec.shape)")
        }
        p!.load(v, into: try p!.slot(name, context: context), context: context)
      }
    }
  }

  @_spi(Diagnostics) public func gradients() -> [[Float]] {
    precondition(training, "gradients need a training graph")
    return params.map { $0!.read($0!.gradient!, context: context) }
  }
}
