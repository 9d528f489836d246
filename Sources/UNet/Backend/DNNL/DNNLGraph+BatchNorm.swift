import CDNNL

/// Batch normalisation on oneDNN's batch_normalization primitive, in the
/// layout of the convolution before it.
///
/// Training: forward_training with a learned scale and shift
/// (`dnnl_use_scale | dnnl_use_shift`) computes each channel's mean and
/// biased variance over the batch and the pixels, normalises with them
/// (ε = `NormLayer.epsilon`) and, after every forward pass, moves the
/// running statistics towards them (`RunningStatistics.update`); the
/// backward pass (`dnnl_backward`) gives the input gradient and the scale
/// and shift gradients. Inference: `dnnl_use_global_stats`, normalising
/// with the running statistics. The ReLU after it is fused into the
/// primitive (`dnnl_fuse_norm_relu`; training keeps its mask in a
/// workspace) where oneDNN has a JIT kernel for that, else it is an
/// eltwise primitive on the output, as after a convolution.
extension DNNLGraph {
  /// The primitives of one batch normalisation.
  private struct NormPlan {
    var forward: DNNLPrimitive
    var backward: DNNLPrimitive?
    /// ReLU fused into the normalisation (else a separate eltwise ReLU, if any).
    var fused: Bool

    var usesReference: Bool { ([forward] + [backward].compactMap { $0 }).contains(where: \.isReference) }
  }

  private func makeBatchNorm(data: dnnl_memory_desc_t, fuseReLU: Bool) throws -> NormPlan {
    var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
    if fuseReLU { flags |= dnnl_fuse_norm_relu.rawValue }
    if !training { flags |= dnnl_use_global_stats.rawValue }
    var desc = try DNNL.batchNormalizationForward(
      training ? dnnl_forward_training : dnnl_forward_inference, data: data, epsilon: NormLayer.epsilon, flags: flags,
      "batch normalisation")
    let forward = try DNNLPrimitive(op: &desc, context: context, what: "batch normalisation")
    var plan = NormPlan(forward: forward, fused: fuseReLU)
    guard training else { return plan }
    var bdesc = try DNNL.batchNormalizationBackward(
      dnnl_backward, gradient: data, data: data, epsilon: NormLayer.epsilon, flags: flags, "batch normalisation backward")
    plan.backward = try DNNLPrimitive(op: &bdesc, hint: forward, context: context, what: "batch normalisation backward")
    return plan
  }

  /// Batch normalisation of tensor `input` (then ReLU when `relu`) into
  /// tensor `output`, with the scale at `parameter` (the shift after it) and
  /// the running mean at `statistics` (the variance after it); returns its
  /// backward steps.
  func buildBatchNorm(input: Int, output: Int, parameter: Int, statistics index: Int, relu: Bool) throws -> [() -> Void] {
    let ctx = context
    let source = values[input]
    // Fused with ReLU where that has a JIT kernel (not SSE4.1's blocked training).
    var plan = try makeBatchNorm(data: source.md, fuseReLU: relu)
    if relu, plan.usesReference, let separate = try? makeBatchNorm(data: source.md, fuseReLU: false),
      !separate.usesReference
    {
      plan = separate
    }
    let forward = plan.forward
    let channels = shapes[input].channels
    let label = "batch normalisation \(output) (\(channels), \(TileSize(shapes[input].extent)))"
    hot(forward, "\(label) forward")
    let out = try addTensor(forward.md(dnnl_query_dst_md))

    let specs = graph.parameters
    let plainMD = DNNL.desc([channels], dnnl_x)
    let scale = try DNNLParameter(spec: specs[parameter], native: plainMD, training: training, context: ctx)
    let shift = try DNNLParameter(spec: specs[parameter + 1], native: plainMD, training: training, context: ctx)
    params[parameter] = scale
    params[parameter + 1] = shift
    let runningMean = try DNNLBuffer(plainMD, context: ctx)
    let runningVariance = try DNNLBuffer(plainMD, context: ctx)
    statistics[index] = runningMean
    statistics[index + 1] = runningVariance
    // A new network's statistics, as PyTorch starts them.
    runningVariance.floats.update(repeating: 1)

    // The closures hold the buffers themselves (not only their memory
    // objects), so that every buffer lives as long as the steps that use it.
    var arguments: [(Int32, DNNLBuffer)] = [
      (DNNL_ARG_SRC, source), (DNNL_ARG_DST, out), (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value),
    ]
    var reluForward: DNNLPrimitive?
    if relu && !plan.fused {
      var desc = try DNNL.eltwiseForward(
        training ? dnnl_forward_training : dnnl_forward_inference, dnnl_eltwise_relu_use_dst_for_bwd, data: out.md, "ReLU")
      reluForward = try DNNLPrimitive(op: &desc, context: ctx, what: "ReLU")
      hot(reluForward!, "ReLU \(output) forward")
    }
    let afterForward: () -> Void = {
      reluForward?.execute([(DNNL_ARG_SRC, out.memory), (DNNL_ARG_DST, out.memory)], context: ctx)
    }
    guard training else {
      arguments += [(DNNL_ARG_MEAN, runningMean), (DNNL_ARG_VARIANCE, runningVariance)]
      let inference = arguments
      forwardSteps.append {
        forward.execute(inference.map { ($0, $1.memory) }, context: ctx)
        afterForward()
      }
      return []
    }

    // Training: the batch's statistics, then the running ones updated from them.
    let batchMean = try DNNLBuffer(forward.md(dnnl_query_dst_md, 1), context: ctx)
    let batchVariance = try DNNLBuffer(forward.md(dnnl_query_dst_md, 2), context: ctx)
    arguments += [(DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance)]
    var workspace: DNNLBuffer?
    if plan.fused && relu {
      workspace = try DNNLBuffer(forward.md(dnnl_query_workspace_md), context: ctx)
      arguments.append((DNNL_ARG_WORKSPACE, workspace!))
    }
    let trainingArguments = arguments
    // Every valid tile leaves at least 3 × 3 pixels at the bottom (`Architecture.outputSize`).
    let count = batch * spatialCount(input)
    forwardSteps.append { [unowned self] in
      forward.execute(trainingArguments.map { ($0, $1.memory) }, context: ctx)
      RunningStatistics.update(
        mean: runningMean.floats.baseAddress!, variance: runningVariance.floats.baseAddress!,
        batchMean: batchMean.floats.baseAddress!, batchVariance: batchVariance.floats.baseAddress!, channels: channels,
        count: count)
      afterForward()
      // Once per forward pass of the graph: counted by its first normalisation.
      if index == 0 { self.statisticsBatches += 1 }
    }

    var steps: [() -> Void] = []
    let diffOut = diffs[output]!
    if let reluForward {
      var desc = try DNNL.eltwiseBackward(
        dnnl_eltwise_relu_use_dst_for_bwd, gradient: out.md, data: out.md, "ReLU backward")
      let reluBackward = try DNNLPrimitive(op: &desc, hint: reluForward, context: ctx, what: "ReLU backward")
      hot(reluBackward, "ReLU \(output) backward")
      backwardReadsOutput.insert(output - 1)
      steps.append {
        reluBackward.execute(
          [(DNNL_ARG_DST, out.memory), (DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_DIFF_SRC, diffOut.memory)],
          context: ctx)
      }
    }
    let backward = plan.backward!
    hot(backward, "\(label) backward")
    let (diffIn, after) = try diffTarget(input, computedAs: backward.md(dnnl_query_diff_src_md))
    var backwardArguments: [(Int32, DNNLBuffer)] = [
      (DNNL_ARG_SRC, source), (DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance), (DNNL_ARG_DIFF_DST, diffOut),
      (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value), (DNNL_ARG_DIFF_SRC, diffIn),
      (DNNL_ARG_DIFF_SCALE, scale.gradient!), (DNNL_ARG_DIFF_SHIFT, shift.gradient!),
    ]
    if let workspace { backwardArguments.append((DNNL_ARG_WORKSPACE, workspace)) }
    let backwardBuffers = backwardArguments
    steps.append { backward.execute(backwardBuffers.map { ($0, $1.memory) }, context: ctx) }
    return steps + after
  }

  func runningStatistics() -> RunningStatistics {
    RunningStatistics(
      values: zip(statistics, graph.statistics).map { buffer, spec in Array(buffer!.floats.prefix(spec.count)) },
      batches: statisticsBatches)
  }

  func setRunningStatistics(_ new: RunningStatistics) throws {
    guard new.values.count == graph.statistics.count else {
      throw TrainingError("\(new.values.count) running statistics for \(graph.statistics.count)")
    }
    guard new.batches >= 0 else { throw TrainingError("running statistics of \(new.batches) batches") }
    for (i, spec) in graph.statistics.enumerated() {
      guard new.values[i].count == spec.count else {
        throw TrainingError("running statistic \(spec.name): \(new.values[i].count) values for shape \(spec.shape)")
      }
      let target = statistics[i]!.floats
      for k in 0..<spec.count { target[k] = new.values[i][k] }
    }
    statisticsBatches = new.batches
  }
}
