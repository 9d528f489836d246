/// Where the activation and gradient buffers live: one arena, in which
/// buffers that no moment of a step uses together share bytes.
extension DNNLGraph {
  /// Gives every activation and gradient buffer its bytes in one arena, where
  /// buffers share memory when no moment of a step uses both (`MemoryPlan`).
  /// The moments: each operation's forward pass, reading the logits, writing
  /// the loss gradient, then each operation's backward pass in reverse, with
  /// a crop's gradient accumulated into its skip tensor just before the skip
  /// tensor's producer runs backward.
  func placeTensors() throws {
    var spans: [ObjectIdentifier: (buffer: DNNLBuffer, first: Int, last: Int)] = [:]
    var now = 0
    func use(_ buffer: DNNLBuffer?) {
      guard let buffer else { return }
      let id = ObjectIdentifier(buffer)
      spans[id] = (buffer, spans[id]?.first ?? now, now)
    }
    for (i, op) in graph.operations.enumerated() {
      for t in op.inputs { use(values[t]) }
      use(values[i + 1])
      now += 1
    }
    use(values.last)
    now += 1
    if training {
      use(diffs.last!)
      now += 1
      var concatsOfSkip: [Int: [Int]] = [:]
      for (i, op) in graph.operations.enumerated() {
        if case .cropConcat(let skip, _) = op { concatsOfSkip[skip, default: []].append(i + 1) }
      }
      for (i, op) in graph.operations.enumerated().reversed() {
        let out = i + 1
        if let concats = concatsOfSkip[out] {
          use(diffs[out])
          for c in concats { use(diffs[c]) }
          now += 1
        }
        use(diffs[out])
        // ReLU's gradient reads the output.
        if backwardReadsOutput.contains(i) { use(values[out]) }
        switch op {
        case .convolution(let input, _, _, _, _, _), .batchNorm(let input, _, _, _):
          // The weight (or scale) gradient reads the input.
          use(values[input])
          use(diffs[input])
        case .upConvolution(let input, _, _, _):
          use(values[input])
          use(diffs[input])
        case .maxPool(let input, _), .dropout(let input, _):
          use(diffs[input])
        case .cropConcat(_, let up):
          use(diffs[up])
        }
        now += 1
      }
    }
    // Every unplaced buffer, in a fixed order; one no moment names lives throughout.
    var seen = Set<ObjectIdentifier>()
    var buffers: [DNNLBuffer] = []
    for buffer in values + diffs.compactMap({ $0 }) where buffer.pointer == nil {
      if seen.insert(ObjectIdentifier(buffer)).inserted { buffers.append(buffer) }
    }
    let items = buffers.map { buffer -> MemoryPlan.Item in
      let span = spans[ObjectIdentifier(buffer)]
      return MemoryPlan.Item(size: buffer.bytes, first: span?.first ?? 0, last: span?.last ?? now)
    }
    let plan = MemoryPlan(items, alignment: 64)
    arena = try DNNLArena(bytes: plan.size)
    for (buffer, offset) in zip(buffers, plan.offsets) {
      try buffer.place(at: arena!.pointer + offset)
    }
  }
}
