import CDNNL

/// Convolutions and 2×2 stride-2 up-convolutions: the primitives chosen so
/// that none is one of oneDNN's reference kernels, the forward pass with a
/// fused ReLU, and the ReLU, weight, bias and input gradients.
extension DNNLGraph {
  /// A convolution's attributes: a fused ReLU or none.
  private func attributes(relu: Bool) throws -> dnnl_primitive_attr_t {
    let attr = try DNNL.attributes("attributes")
    if relu { try DNNL.setPostOp(.relu, on: attr) }
    return attr
  }

  /// One way to run a convolution: its primitives and the input channel
  /// count they were made for (more than the tensor's when zero-padded).
  private struct ConvolutionPlan {
    var forward: DNNLPrimitive
    var backwardWeights: DNNLPrimitive?
    var backwardData: DNNLPrimitive?
    var inputChannels: Int

    var primitives: [DNNLPrimitive] { [forward] + [backwardWeights, backwardData].compactMap { $0 } }
    var usesReference: Bool { primitives.contains(where: \.isReference) }
  }

  /// The primitives of a convolution (or 2×2 stride-2 deconvolution) whose
  /// source has `inputChannels` channels in layout `tag` (`any`: oneDNN's choice).
  private func makeConvolution(
    input: Int, output: Int, inputChannels: Int, tag: dnnl_format_tag_t, outputTag: dnnl_format_tag_t, channels: Int,
    kernel: [Int], bias hasBias: Bool, relu: Bool, deconvolution: Bool, winograd: Bool = false
  ) throws -> ConvolutionPlan {
    let ctx = context
    var srcDims = dims(input)
    srcDims[1] = inputChannels
    let weightsAny = DNNL.any([channels, inputChannels] + kernel)
    // A zero descriptor is oneDNN's "no bias".
    let biasMD = hasBias ? DNNL.desc([channels], dnnl_x) : dnnl_memory_desc_t()
    let stride = deconvolution ? kernel : kernel.map { _ in 1 }
    let zero = kernel.map { _ in 0 }
    let prop = training ? dnnl_forward_training : dnnl_forward_inference
    let what = deconvolution ? "up-convolution" : "convolution"

    // `undef`: the layout the input tensor has.
    let src = tag == dnnl_format_tag_undef ? values[input].md : DNNL.desc(srcDims, tag)
    let dst = DNNL.desc(dims(output), outputTag)
    let forward: DNNLPrimitive
    if deconvolution {
      var desc = try DNNL.deconvolutionForward(
        prop, source: src, weights: weightsAny, bias: biasMD, destination: dst, strides: stride, padding: zero, what)
      forward = try DNNLPrimitive(op: &desc, context: ctx, what: what)
    } else {
      var desc = try DNNL.convolutionForward(
        prop, algorithm: winograd ? dnnl_convolution_winograd : dnnl_convolution_direct, source: src,
        weights: weightsAny, bias: biasMD, destination: dst, strides: stride, padding: zero, what)
      let attr = try attributes(relu: relu)
      defer { DNNL.destroy(attributes: attr) }
      forward = try DNNLPrimitive(op: &desc, attr: attr, context: ctx, what: what)
    }
    var plan = ConvolutionPlan(forward: forward, inputChannels: inputChannels)
    guard training else { return plan }

    // Weight gradient.
    let srcMD = forward.md(dnnl_query_src_md), dstMD = forward.md(dnnl_query_dst_md)
    if deconvolution {
      var desc = try DNNL.deconvolutionBackwardWeights(
        source: srcMD, weightGradient: weightsAny, biasGradient: biasMD, destinationGradient: dstMD, strides: stride,
        padding: zero, "\(what) weight gradient")
      plan.backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    } else {
      var desc = try DNNL.convolutionBackwardWeights(
        source: srcMD, weightGradient: weightsAny, biasGradient: biasMD, destinationGradient: dstMD, strides: stride,
        padding: zero, "\(what) weight gradient")
      plan.backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    }

    // Input gradient (not needed for the network's input).
    guard input != 0 else { return plan }
    if deconvolution {
      var desc = try DNNL.deconvolutionBackwardData(
        sourceGradient: srcMD, weights: weightsAny, destinationGradient: dstMD, strides: stride, padding: zero,
        "\(what) input gradient")
      plan.backwardData = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) input gradient")
    } else {
      var desc = try DNNL.convolutionBackwardData(
        sourceGradient: srcMD, weights: weightsAny, destinationGradient: dstMD, strides: stride, padding: zero,
        "\(what) input gradient")
      plan.backwardData = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) input gradient")
    }
    return plan
  }

  /// Chooses how to run a convolution so that none of its passes falls back
  /// to one of oneDNN's reference kernels, which are 10–1000× slower than its
  /// JIT ones. The candidates, in order: the layout oneDNN prefers (blocked,
  /// such as nChw16c); for the network's input, the input zero-padded to 8 or
  /// 16 channels (with one channel oneDNN 2.6 has a JIT weight gradient only
  /// on AVX-512; padded, every ISA has one, for 1–2 % more work in the first
  /// layer); nhwc; nchw (the only layout of the im2col+GEMM kernels, which
  /// are the JIT backward passes below AVX). The plain layouts are tried
  /// with the output in oneDNN's choice, then in the same plain layout (3-D
  /// convolutions of fewer than 16 channels have JIT backward passes only
  /// as im2col+GEMM over ncdhw tensors in and out). The first candidate
  /// without a reference kernel wins; if none exists, the first candidate runs.
  ///
  /// Inference tries Winograd's minimal filtering first for 3×3
  /// convolutions (Lavin & Gray, "Fast Algorithms for Convolutional Neural
  /// Networks", CVPR 2016, doi:10.1109/CVPR.2016.435): oneDNN's F(4×4, 3×3)
  /// and F(2×2, 3×3) kernels need 2–4× fewer multiplications than the
  /// direct ones, and their results differ from the direct ones by rounding
  /// (about 1e-6 of the outputs' scale).
  private func planConvolution(
    input: Int, output: Int, channels: Int, kernel: [Int], bias: Bool, relu: Bool, deconvolution: Bool
  ) throws -> ConvolutionPlan {
    let realChannels = shapes[input].channels
    let any = dnnl_format_tag_any
    var candidates: [(channels: Int, tag: dnnl_format_tag_t, outputTag: dnnl_format_tag_t)] = [(realChannels, any, any)]
    // Padding changes tensor 0 itself: only when this convolution is its one reader.
    let readers = graph.operations.filter { $0.inputs.contains(input) }.count
    if input == 0, readers == 1, !deconvolution {
      candidates += [8, 16].filter { $0 > realChannels }.map { ($0, any, any) }
    }
    let rank = 2 + graph.dimensions
    for tag in [DNNL.channelsLast(rank: rank), DNNL.channelsFirst(rank: rank)] {
      candidates += [(realChannels, tag, any), (realChannels, tag, tag)]
    }
    if !training {
      // Inference first tries the input as it is, which spares a reorder (the
      // Winograd layers' blocked layout into the last 1×1 convolution).
      candidates.insert((realChannels, dnnl_format_tag_undef, any), at: 0)
    }
    var first: ConvolutionPlan?
    var lastError: Error?
    if !training, !deconvolution, kernel == [3, 3], realChannels >= 16,
      let plan = try? makeConvolution(
        input: input, output: output, inputChannels: realChannels, tag: dnnl_format_tag_any, outputTag: any,
        channels: channels,
        kernel: kernel, bias: bias, relu: relu, deconvolution: false, winograd: true),
      !plan.usesReference
    {
      return plan
    }
    for candidate in candidates {
      do {
        let plan = try makeConvolution(
          input: input, output: output, inputChannels: candidate.channels, tag: candidate.tag,
          outputTag: candidate.outputTag, channels: channels,
          kernel: kernel, bias: bias, relu: relu, deconvolution: deconvolution)
        if !plan.usesReference { return plan }
        if first == nil { first = plan }
      } catch {
        lastError = error
      }
    }
    guard let first else { throw lastError ?? TrainingError("oneDNN: no convolution implementation") }
    return first
  }

  /// A convolution (or a deconvolution whose stride is its window `kernel`)
  /// with or without bias and optional fused ReLU; returns its backward steps.
  func buildConvolution(
    input: Int, output: Int, parameter: Int, channels: Int, kernel: [Int], bias hasBias: Bool, relu: Bool,
    deconvolution: Bool
  ) throws -> [() -> Void] {
    let ctx = context
    let biasMD = DNNL.desc([channels], dnnl_x)
    let what = deconvolution ? "up-convolution" : "convolution"
    let plan = try planConvolution(
      input: input, output: output, channels: channels, kernel: kernel, bias: hasBias, relu: relu,
      deconvolution: deconvolution)
    let forward = plan.forward
    let label = "\(what) \(output) (\(shapes[input].channels)→\(channels), \(TileSize(shapes[input].extent))→\(TileSize(shapes[output].extent)))"
    hot(forward, "\(label) forward")
    let padded = plan.inputChannels != shapes[input].channels ? plan.inputChannels : nil
    if let padded {
      // The network's input, zero-padded: `forward(_:)` fills the first channels.
      values[0] = try DNNLBuffer(DNNL.desc([batch, padded] + inputExtent, plainTag), context: ctx)
      inputPadding = padded
    }
    let srcMD = forward.md(dnnl_query_src_md)
    let weightsMD = forward.md(dnnl_query_weights_md)
    let source = try value(input, as: srcMD)
    let out = try addTensor(forward.md(dnnl_query_dst_md))
    let specs = graph.parameters
    let weightParameter = try DNNLParameter(
      spec: specs[parameter], native: weightsMD, paddedInputChannels: padded, training: training, context: ctx)
    let biasParameter =
      hasBias ? try DNNLParameter(spec: specs[parameter + 1], native: biasMD, training: training, context: ctx) : nil
    params[parameter] = weightParameter
    if hasBias { params[parameter + 1] = biasParameter }
    let biasArguments = biasParameter.map { [(DNNL_ARG_BIAS, $0.value.memory)] } ?? []
    forwardSteps.append {
      forward.execute(
        [(DNNL_ARG_SRC, source.memory), (DNNL_ARG_WEIGHTS, weightParameter.value.memory), (DNNL_ARG_DST, out.memory)]
          + biasArguments, context: ctx)
    }
    guard training, let backwardWeights = plan.backwardWeights else { return [] }

    var steps: [() -> Void] = []
    let diffOut = diffs[output]!
    if relu {
      backwardReadsOutput.insert(output - 1)
      var desc = try DNNL.eltwiseBackward(
        dnnl_eltwise_relu_use_dst_for_bwd, gradient: out.md, data: out.md, "ReLU backward")
      let reluForwardDesc: DNNLPrimitive = try {
        var fdesc = try DNNL.eltwiseForward(dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, data: out.md, "ReLU")
        return try DNNLPrimitive(op: &fdesc, context: ctx, what: "ReLU")
      }()
      let reluBackward = try DNNLPrimitive(op: &desc, hint: reluForwardDesc, context: ctx, what: "ReLU backward")
      primitives.append(reluForwardDesc)
      hot(reluBackward, "ReLU \(output) backward")
      steps.append {
        reluBackward.execute(
          [(DNNL_ARG_DST, out.memory), (DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_DIFF_SRC, diffOut.memory)], context: ctx)
      }
    }

    // Weight gradient.
    if gemmWeightGradients, !deconvolution, kernel == [3, 3], input != 0, shapes[input].extent[0] == shapes[input].extent[1] {
      steps += try gemmWeightGradient(
        source: source, diffOut: diffOut, input: input, output: output, weightGradient: weightParameter.gradient!,
        biasGradient: biasParameter?.gradient, label: label)
    } else {
      steps += try primitiveWeightGradient(
        backwardWeights, source: source, diffOut: diffOut, weightsMD: weightsMD, weightGradient: weightParameter.gradient!,
        biasGradient: biasParameter?.gradient, label: label)
    }

    // Input gradient (not needed for the network's input).
    guard let backwardData = plan.backwardData else { return steps }
    return steps
      + (try inputGradient(
        backwardData, input: input, diffOut: diffOut, weightParameter: weightParameter, weightsMD: weightsMD, label: label))
  }

  /// The weight and bias gradients of a convolution by oneDNN's primitive.
  private func primitiveWeightGradient(
    _ backwardWeights: DNNLPrimitive, source: DNNLBuffer, diffOut: DNNLBuffer, weightsMD: dnnl_memory_desc_t,
    weightGradient: DNNLBuffer, biasGradient: DNNLBuffer?, label: String
  ) throws -> [() -> Void] {
    let ctx = context
    hot(backwardWeights, "\(label) weight gradient")
    let gradientMD = backwardWeights.md(dnnl_query_diff_weights_md)
    var gradientTarget = weightGradient
    var afterGradient: [() -> Void] = []
    if !DNNL.equal(gradientMD, weightsMD) {
      let temporary = try DNNLBuffer(gradientMD, context: ctx)
      let reorder = try makeReorder(from: gradientMD, to: weightsMD, context: ctx)
      hot(reorder, "\(label) weight gradient layout")
      gradientTarget = temporary
      afterGradient.append { reorder.execute([(DNNL_ARG_FROM, temporary.memory), (DNNL_ARG_TO, weightGradient.memory)], context: ctx) }
    }
    let biasGradientArguments = biasGradient.map { [(DNNL_ARG_DIFF_BIAS, $0.memory)] } ?? []
    let target = gradientTarget
    return [{
      backwardWeights.execute(
        [(DNNL_ARG_SRC, source.memory), (DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_DIFF_WEIGHTS, target.memory)]
          + biasGradientArguments, context: ctx)
    }] + afterGradient
  }

  /// The input gradient of a convolution, with the weights in the layout
  /// its primitive wants.
  private func inputGradient(
    _ backwardData: DNNLPrimitive, input: Int, diffOut: DNNLBuffer, weightParameter: DNNLParameter,
    weightsMD: dnnl_memory_desc_t, label: String
  ) throws -> [() -> Void] {
    let ctx = context
    var steps: [() -> Void] = []
    hot(backwardData, "\(label) input gradient")
    var weightsForData = weightParameter.value
    let dataWeightsMD = backwardData.md(dnnl_query_weights_md)
    if !DNNL.equal(dataWeightsMD, weightsMD) {
      let converted = try DNNLBuffer(dataWeightsMD, context: ctx)
      let reorder = try makeReorder(from: weightsMD, to: dataWeightsMD, context: ctx)
      hot(reorder, "\(label) weights for the input gradient")
      let master = weightParameter.value
      steps.append { reorder.execute([(DNNL_ARG_FROM, master.memory), (DNNL_ARG_TO, converted.memory)], context: ctx) }
      weightsForData = converted
    }
    let (diffIn, after) = try diffTarget(input, computedAs: backwardData.md(dnnl_query_diff_src_md))
    let dataWeights = weightsForData
    steps.append {
      backwardData.execute(
        [(DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_WEIGHTS, dataWeights.memory), (DNNL_ARG_DIFF_SRC, diffIn.memory)],
        context: ctx)
    }
    steps.append(contentsOf: after)
    return steps
  }
}
