import CDNNL
import Foundation

/// The CPU backend: oneDNN primitives for every layer, with the layouts
/// oneDNN prefers (blocked, such as nChw16c) kept from layer to layer. Plain
/// layouts appear only at the boundary: the input, the logits and the
/// parameters as the model code sees them.
public struct DNNLBackend: Backend {
  /// The thread count oneDNN uses (all cores unless set).
  public let threads: Int

  /// - Parameter threads: oneDNN's thread count; nil keeps OpenMP's default
  ///   (all cores, or OMP_NUM_THREADS).
  public init(threads: Int? = nil) {
    if let threads { DNNL.setThreads(max(1, threads)) }
    self.threads = DNNL.maxThreads()
  }

  public var name: String {
    guard let v = dnnl_version() else { return "oneDNN" }
    return "oneDNN \(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch) (\(threads) threads)"
  }

  public func compile(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws -> any CompiledGraph {
    try DNNLGraph(graph, batch: batch, inputSize: inputSize, training: training)
  }
}

/// One learnable tensor in oneDNN's layout, with its gradient and the
/// optimiser's slots.
final class DNNLParameter {
  let spec: ParameterSpec
  /// The PyTorch-order layout the model code exchanges.
  let plainMD: dnnl_memory_desc_t
  let value: DNNLBuffer
  var gradient: DNNLBuffer?
  /// The optimiser's state by slot name, in the value's layout; made on first use.
  var slots: [String: DNNLBuffer] = [:]
  let plain: DNNLBuffer
  let toNative: DNNLPrimitive
  let toPlain: DNNLPrimitive

  init(spec: ParameterSpec, native md: dnnl_memory_desc_t, training: Bool, context: DNNLContext) throws {
    self.spec = spec
    switch spec.role {
    case .convolutionWeight: plainMD = DNNL.desc(spec.shape, dnnl_oihw)
    // oneDNN orders deconvolution weights [out, in, kh, kw]; PyTorch stores [in, out, kh, kw].
    case .upConvolutionWeight: plainMD = DNNL.desc([spec.shape[1], spec.shape[0], 2, 2], dnnl_iohw)
    case .bias: plainMD = DNNL.desc(spec.shape, dnnl_x)
    }
    value = try DNNLBuffer(md, context: context)
    plain = try DNNLBuffer(plainMD, context: context)
    toNative = try makeReorder(from: plainMD, to: md, context: context)
    toPlain = try makeReorder(from: md, to: plainMD, context: context)
    if training {
      gradient = try DNNLBuffer(md, context: context)
    }
  }

  func load(_ values: [Float], into buffer: DNNLBuffer, context: DNNLContext) {
    precondition(values.count == spec.count, "\(spec.name): \(values.count) values for shape \(spec.shape)")
    values.withUnsafeBytes { plain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    toNative.execute([(DNNL_ARG_FROM, plain.memory), (DNNL_ARG_TO, buffer.memory)], context: context)
  }

  /// The slot `name`, made (zero) when it does not exist yet.
  func slot(_ name: String, context: DNNLContext) throws -> DNNLBuffer {
    if let buffer = slots[name] { return buffer }
    let buffer = try DNNLBuffer(value.md, context: context)
    slots[name] = buffer
    return buffer
  }

  func read(_ buffer: DNNLBuffer, context: DNNLContext) -> [Float] {
    toPlain.execute([(DNNL_ARG_FROM, buffer.memory), (DNNL_ARG_TO, plain.memory)], context: context)
    return Array(plain.floats.prefix(spec.count))
  }
}

/// A compiled graph on oneDNN: forward and backward as lists of steps.
final class DNNLGraph: CompiledGraph {
  let batch: Int
  let inputSize: Int
  let outputShape: (channels: Int, size: Int)
  let training: Bool
  private let context: DNNLContext
  private let graph: Graph
  private let shapes: [(channels: Int, size: Int)]
  private var params: [DNNLParameter?] = []
  /// Activations per tensor, in the layout of the operation that wrote it.
  private var values: [DNNLBuffer] = []
  /// Gradients per tensor (training only), in the same layout as `values`.
  private var diffs: [DNNLBuffer?] = []
  private var forwardSteps: [() -> Void] = []
  private var backwardSteps: [() -> Void] = []
  private var dropoutSeed: UInt64 = 0
  private let logitsPlain: DNNLBuffer
  private var primitives: [DNNLPrimitive] = []
  /// Reorders between layers that oneDNN's layout choices forced (0 in the
  /// paper's configuration: blocked layouts run end to end).
  private(set) var layoutConversions = 0

  init(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws {
    guard let shapes = graph.shapes(inputSize: inputSize) else {
      throw TrainingError("input size \(inputSize) does not fit the network")
    }
    self.graph = graph
    self.shapes = shapes
    self.batch = batch
    self.inputSize = inputSize
    self.training = training
    outputShape = shapes.last!
    context = try DNNLContext()
    logitsPlain = try DNNLBuffer(
      DNNL.desc([batch, outputShape.channels, outputShape.size, outputShape.size], dnnl_nchw), context: context)
    params = Array(repeating: nil, count: graph.parameters.count)
    try build()
  }

  private func dims(_ tensor: Int) -> [Int] {
    [batch, shapes[tensor].channels, shapes[tensor].size, shapes[tensor].size]
  }

  // MARK: Building

  /// Users of each tensor: which operations read it, and whether a user's
  /// backward writes the whole gradient (all but a crop's skip input).
  private func wholeWriters() -> [Int: Int] {
    var writers: [Int: Int] = [:]
    for (i, op) in graph.operations.enumerated() {
      switch op {
      case .cropConcat(_, let up): writers[up] = i
      default:
        for input in op.inputs {
          precondition(writers[input] == nil, "tensor \(input) has two operations writing its whole gradient")
          writers[input] = i
        }
      }
    }
    return writers
  }

  private func build() throws {
    let input = try DNNLBuffer(DNNL.desc(dims(0), dnnl_nchw), context: context)
    values = [input]
    diffs = [nil]
    // Backward steps are collected per operation and run in reverse order.
    var backwardOf: [[() -> Void]] = []
    /// Region accumulations (a crop's gradient) to run once a tensor's
    /// whole-gradient writer has run.
    var pending: [Int: [() -> Void]] = [:]
    let writers = wholeWriters()
    for (i, op) in graph.operations.enumerated() {
      let out = i + 1
      var backward: [() -> Void] = []
      switch op {
      case .convolution(let inputIndex, let parameter, let channels, let kernel, let relu):
        backward = try buildConvolution(
          input: inputIndex, output: out, parameter: parameter, channels: channels, kernel: kernel, relu: relu, deconvolution: false)
      case .upConvolution(let inputIndex, let parameter, let channels):
        backward = try buildConvolution(
          input: inputIndex, output: out, parameter: parameter, channels: channels, kernel: 2, relu: false, deconvolution: true)
      case .maxPool(let inputIndex):
        backward = try buildPool(input: inputIndex, output: out)
      case .cropConcat(let skip, let up):
        let (upBackward, skipAccumulate) = try buildCropConcat(skip: skip, up: up, output: out)
        backward = upBackward
        pending[skip, default: []].append(contentsOf: skipAccumulate)
      case .dropout(let inputIndex, let probability):
        backward = try buildDropout(input: inputIndex, output: out, probability: probability)
      }
      backwardOf.append(backward)
    }
    logitsReorder = try makeReorder(from: values[values.count - 1].md, to: logitsPlain.md, context: context)
    guard training else { return }
    // The loss gradient arrives in plain layout.
    let last = values.count - 1
    let toNative = try makeReorder(from: logitsPlain.md, to: values[last].md, context: context)
    primitives.append(toNative)
    let lastDiff = diffs[last]!
    let ctx = context
    let plain = logitsPlain
    backwardSteps.append {
      toNative.execute([(DNNL_ARG_FROM, plain.memory), (DNNL_ARG_TO, lastDiff.memory)], context: ctx)
    }
    for i in graph.operations.indices.reversed() {
      let out = i + 1
      // Before the producer of `out` uses its gradient, add the region
      // gradients (zeroing first when no operation wrote the whole of it).
      if let regions = pending[out] {
        if writers[out] == nil, let diff = diffs[out] { backwardSteps.append { diff.zero() } }
        backwardSteps.append(contentsOf: regions)
      }
      backwardSteps.append(contentsOf: backwardOf[i])
    }
  }

  /// The memory of tensor `t` in layout `md`, converting once per forward pass if needed.
  private func value(_ t: Int, as md: dnnl_memory_desc_t) throws -> DNNLBuffer {
    if DNNL.equal(values[t].md, md) { return values[t] }
    let converted = try DNNLBuffer(md, context: context)
    let reorder = try makeReorder(from: values[t].md, to: md, context: context)
    primitives.append(reorder)
    if t != 0 { layoutConversions += 1 }
    let source = values[t]
    let ctx = context
    forwardSteps.append {
      reorder.execute([(DNNL_ARG_FROM, source.memory), (DNNL_ARG_TO, converted.memory)], context: ctx)
    }
    return converted
  }

  /// Registers the output buffer of a new tensor (and its gradient buffer).
  private func addTensor(_ md: dnnl_memory_desc_t) throws -> DNNLBuffer {
    let buffer = try DNNLBuffer(md, context: context)
    values.append(buffer)
    diffs.append(training ? try DNNLBuffer(md, context: context) : nil)
    return buffer
  }

  /// Steps that write a gradient computed in layout `md` into tensor `t`'s
  /// gradient: directly when the layouts agree, else through a reorder.
  private func diffTarget(_ t: Int, computedAs md: dnnl_memory_desc_t) throws -> (buffer: DNNLBuffer, after: [() -> Void]) {
    let diff = diffs[t]!
    if DNNL.equal(diff.md, md) { return (diff, []) }
    let temporary = try DNNLBuffer(md, context: context)
    let reorder = try makeReorder(from: md, to: diff.md, context: context)
    primitives.append(reorder)
    layoutConversions += 1
    let ctx = context
    return (temporary, [{ reorder.execute([(DNNL_ARG_FROM, temporary.memory), (DNNL_ARG_TO, diff.memory)], context: ctx) }])
  }

  private func attributes(relu: Bool) throws -> dnnl_primitive_attr_t? {
    var attr: dnnl_primitive_attr_t?
    try DNNL.check(dnnl_primitive_attr_create(&attr), "attributes")
    if relu {
      var ops: dnnl_post_ops_t?
      try DNNL.check(dnnl_post_ops_create(&ops), "post-ops")
      defer { dnnl_post_ops_destroy(ops) }
      try DNNL.check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
      try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "setting post-ops")
    }
    return attr
  }

  /// A convolution (or 2×2 stride-2 deconvolution) with bias and optional
  /// fused ReLU; returns its backward steps.
  private func buildConvolution(
    input: Int, output: Int, parameter: Int, channels: Int, kernel: Int, relu: Bool, deconvolution: Bool
  ) throws -> [() -> Void] {
    let ctx = context
    let cin = shapes[input].channels
    let srcAny = DNNL.any(dims(input))
    let dstAny = DNNL.any(dims(output))
    let weightsAny = DNNL.any([channels, cin, kernel, kernel])
    let biasMD = DNNL.desc([channels], dnnl_x)
    let stride: [dnnl_dim_t] = deconvolution ? [2, 2] : [1, 1]
    let zero: [dnnl_dim_t] = [0, 0]
    let prop = training ? dnnl_forward_training : dnnl_forward_inference
    let what = deconvolution ? "up-convolution" : "convolution"

    func makeForward(source: dnnl_memory_desc_t) throws -> DNNLPrimitive {
      var src = source, weights = weightsAny, bias = biasMD, dst = dstAny
      if deconvolution {
        var desc = dnnl_deconvolution_desc_t()
        try DNNL.check(
          dnnl_deconvolution_forward_desc_init(&desc, prop, dnnl_deconvolution_direct, &src, &weights, &bias, &dst, stride, zero, zero),
          what)
        return try DNNLPrimitive(op: &desc, context: ctx, what: what)
      }
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_forward_desc_init(&desc, prop, dnnl_convolution_direct, &src, &weights, &bias, &dst, stride, zero, zero),
        what)
      let attr = try attributes(relu: relu)
      defer { dnnl_primitive_attr_destroy(attr) }
      return try DNNLPrimitive(op: &desc, attr: attr, context: ctx, what: what)
    }
    var forward = try makeForward(source: srcAny)
    // With few input channels oneDNN picks a plain source for the forward
    // pass, for which its backward passes have only slow reference kernels.
    // Inside the network, keep the blocked layout instead (channels padded).
    if training, input != 0, DNNL.equal(forward.md(dnnl_query_src_md), DNNL.desc(dims(input), dnnl_nchw)),
      let blocked = try? makeForward(source: DNNL.desc(dims(input), dnnl_nhwc))
    {
      forward = blocked
    }
    primitives.append(forward)
    let srcMD = forward.md(dnnl_query_src_md)
    let weightsMD = forward.md(dnnl_query_weights_md)
    let source = try value(input, as: srcMD)
    let out = try addTensor(forward.md(dnnl_query_dst_md))
    let specs = graph.parameters
    let weightParameter = try DNNLParameter(spec: specs[parameter], native: weightsMD, training: training, context: ctx)
    let biasParameter = try DNNLParameter(spec: specs[parameter + 1], native: biasMD, training: training, context: ctx)
    params[parameter] = weightParameter
    params[parameter + 1] = biasParameter
    forwardSteps.append {
      forward.execute(
        [(DNNL_ARG_SRC, source.memory), (DNNL_ARG_WEIGHTS, weightParameter.value.memory),
         (DNNL_ARG_BIAS, biasParameter.value.memory), (DNNL_ARG_DST, out.memory)], context: ctx)
    }
    guard training else { return [] }

    var steps: [() -> Void] = []
    let diffOut = diffs[output]!
    if relu {
      var desc = dnnl_eltwise_desc_t()
      var data = out.md
      try DNNL.check(dnnl_eltwise_backward_desc_init(&desc, dnnl_eltwise_relu_use_dst_for_bwd, &data, &data, 0, 0), "ReLU backward")
      let reluForwardDesc: DNNLPrimitive = try {
        var fdesc = dnnl_eltwise_desc_t()
        try DNNL.check(dnnl_eltwise_forward_desc_init(&fdesc, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &data, 0, 0), "ReLU")
        return try DNNLPrimitive(op: &fdesc, context: ctx, what: "ReLU")
      }()
      let reluBackward = try DNNLPrimitive(op: &desc, hint: reluForwardDesc, context: ctx, what: "ReLU backward")
      primitives.append(reluForwardDesc)
      primitives.append(reluBackward)
      steps.append {
        reluBackward.execute(
          [(DNNL_ARG_DST, out.memory), (DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_DIFF_SRC, diffOut.memory)], context: ctx)
      }
    }

    // Weight gradient.
    var bwSrc = srcMD, bwDiffWeights = weightsAny, bwDiffBias = biasMD, bwDiffDst = out.md
    let backwardWeights: DNNLPrimitive
    if deconvolution {
      var desc = dnnl_deconvolution_desc_t()
      try DNNL.check(
        dnnl_deconvolution_backward_weights_desc_init(
          &desc, dnnl_deconvolution_direct, &bwSrc, &bwDiffWeights, &bwDiffBias, &bwDiffDst, stride, zero, zero),
        "\(what) weight gradient")
      backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    } else {
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_backward_weights_desc_init(
          &desc, dnnl_convolution_direct, &bwSrc, &bwDiffWeights, &bwDiffBias, &bwDiffDst, stride, zero, zero),
        "\(what) weight gradient")
      backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    }
    primitives.append(backwardWeights)
    let gradientMD = backwardWeights.md(dnnl_query_diff_weights_md)
    let weightGradient = weightParameter.gradient!
    var gradientTarget = weightGradient
    var afterGradient: [() -> Void] = []
    if !DNNL.equal(gradientMD, weightsMD) {
      let temporary = try DNNLBuffer(gradientMD, context: ctx)
      let reorder = try makeReorder(from: gradientMD, to: weightsMD, context: ctx)
      primitives.append(reorder)
      gradientTarget = temporary
      afterGradient.append { reorder.execute([(DNNL_ARG_FROM, temporary.memory), (DNNL_ARG_TO, weightGradient.memory)], context: ctx) }
    }
    let biasGradient = biasParameter.gradient!
    let target = gradientTarget
    steps.append {
      backwardWeights.execute(
        [(DNNL_ARG_SRC, source.memory), (DNNL_ARG_DIFF_DST, diffOut.memory),
         (DNNL_ARG_DIFF_WEIGHTS, target.memory), (DNNL_ARG_DIFF_BIAS, biasGradient.memory)], context: ctx)
    }
    steps.append(contentsOf: afterGradient)

    // Input gradient (not needed for the network's input).
    guard input != 0 else { return steps }
    var bdDiffSrc = srcMD, bdWeights = weightsAny, bdDiffDst = out.md
    let backwardData: DNNLPrimitive
    if deconvolution {
      var desc = dnnl_deconvolution_desc_t()
      try DNNL.check(
        dnnl_deconvolution_backward_data_desc_init(&desc, dnnl_deconvolution_direct, &bdDiffSrc, &bdWeights, &bdDiffDst, stride, zero, zero),
        "\(what) input gradient")
      backwardData = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) input gradient")
    } else {
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &bdDiffSrc, &bdWeights, &bdDiffDst, stride, zero, zero),
        "\(what) input gradient")
      backwardData = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) input gradient")
    }
    primitives.append(backwardData)
    var weightsForData = weightParameter.value
    let dataWeightsMD = backwardData.md(dnnl_query_weights_md)
    if !DNNL.equal(dataWeightsMD, weightsMD) {
      let converted = try DNNLBuffer(dataWeightsMD, context: ctx)
      let reorder = try makeReorder(from: weightsMD, to: dataWeightsMD, context: ctx)
      primitives.append(reorder)
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

  private func buildPool(input: Int, output: Int) throws -> [() -> Void] {
    let ctx = context
    let two: [dnnl_dim_t] = [2, 2]
    let zero: [dnnl_dim_t] = [0, 0]
    var src = values[input].md
    var dst = DNNL.any(dims(output))
    var desc = dnnl_pooling_desc_t()
    try DNNL.check(
      dnnl_pooling_forward_desc_init(
        &desc, training ? dnnl_forward_training : dnnl_forward_inference, dnnl_pooling_max, &src, &dst, two, two, zero, zero),
      "max pooling")
    let forward = try DNNLPrimitive(op: &desc, context: ctx, what: "max pooling")
    primitives.append(forward)
    let source = values[input]
    let out = try addTensor(forward.md(dnnl_query_dst_md))
    guard training else {
      forwardSteps.append { forward.execute([(DNNL_ARG_SRC, source.memory), (DNNL_ARG_DST, out.memory)], context: ctx) }
      return []
    }
    let workspace = try DNNLBuffer(forward.md(dnnl_query_workspace_md), context: ctx)
    forwardSteps.append {
      forward.execute(
        [(DNNL_ARG_SRC, source.memory), (DNNL_ARG_DST, out.memory), (DNNL_ARG_WORKSPACE, workspace.memory)], context: ctx)
    }
    var diffSrc = source.md
    var diffDst = out.md
    var bdesc = dnnl_pooling_desc_t()
    try DNNL.check(
      dnnl_pooling_backward_desc_init(&bdesc, dnnl_pooling_max, &diffSrc, &diffDst, two, two, zero, zero), "max pooling backward")
    let backward = try DNNLPrimitive(op: &bdesc, hint: forward, context: ctx, what: "max pooling backward")
    primitives.append(backward)
    let diffOut = diffs[output]!
    let (diffIn, after) = try diffTarget(input, computedAs: backward.md(dnnl_query_diff_src_md))
    return [{
      backward.execute(
        [(DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_WORKSPACE, workspace.memory), (DNNL_ARG_DIFF_SRC, diffIn.memory)],
        context: ctx)
    }] + after
  }

  /// Returns the backward steps for `up` and, separately, the accumulation
  /// of the skip tensor's crop gradient (run after the skip's pooling backward).
  private func buildCropConcat(skip: Int, up: Int, output: Int) throws -> ([() -> Void], [() -> Void]) {
    let ctx = context
    let size = shapes[up].size
    let offset = (shapes[skip].size - size) / 2
    let skipChannels = shapes[skip].channels
    let upChannels = shapes[up].channels
    let cropDims = [batch, skipChannels, size, size]
    let cropMD = try DNNL.submemory(values[skip].md, dims: cropDims, offsets: [0, 0, offset, offset])
    let crop = try values[skip].view(cropMD, context: ctx)
    var sources = [cropMD, values[up].md]
    var pd: dnnl_primitive_desc_t?
    // oneDNN chooses the output layout; a plain one when the channel split
    // does not fall on a block boundary of a blocked layout.
    var status = sources.withUnsafeMutableBufferPointer {
      dnnl_concat_primitive_desc_create(&pd, nil, 2, 1, $0.baseAddress, nil, ctx.engine)
    }
    if status != dnnl_success {
      var plain = DNNL.desc(dims(output), dnnl_nchw)
      status = sources.withUnsafeMutableBufferPointer {
        dnnl_concat_primitive_desc_create(&pd, &plain, 2, 1, $0.baseAddress, nil, ctx.engine)
      }
    }
    try DNNL.check(status, "concatenation")
    let concat = try DNNLPrimitive(pd: pd!, what: "concatenation")
    primitives.append(concat)
    let upBuffer = values[up]
    let out = try addTensor(concat.md(dnnl_query_dst_md))
    forwardSteps.append {
      concat.execute(
        [(DNNL_ARG_MULTIPLE_SRC, crop), (DNNL_ARG_MULTIPLE_SRC + 1, upBuffer.memory), (DNNL_ARG_DST, out.memory)], context: ctx)
    }
    guard training else { return ([], []) }

    // Backward: split the output gradient by channels, through a plain copy
    // when a split would cut a block.
    let diffOut = diffs[output]!
    var splitSource = diffOut
    var steps: [() -> Void] = []
    var skipPartMD = try? DNNL.submemory(out.md, dims: cropDims, offsets: [0, 0, 0, 0])
    var upPartMD = try? DNNL.submemory(out.md, dims: [batch, upChannels, size, size], offsets: [0, skipChannels, 0, 0])
    if skipPartMD == nil || upPartMD == nil {
      let plainMD = DNNL.desc(dims(output), dnnl_nchw)
      let plain = try DNNLBuffer(plainMD, context: ctx)
      let reorder = try makeReorder(from: out.md, to: plainMD, context: ctx)
      primitives.append(reorder)
      layoutConversions += 1
      steps.append { reorder.execute([(DNNL_ARG_FROM, diffOut.memory), (DNNL_ARG_TO, plain.memory)], context: ctx) }
      splitSource = plain
      skipPartMD = try DNNL.submemory(plainMD, dims: cropDims, offsets: [0, 0, 0, 0])
      upPartMD = try DNNL.submemory(plainMD, dims: [batch, upChannels, size, size], offsets: [0, skipChannels, 0, 0])
    }
    let upPart = try splitSource.view(upPartMD!, context: ctx)
    let toUp = try makeReorder(from: upPartMD!, to: diffs[up]!.md, context: ctx)
    let diffUp = diffs[up]!
    primitives.append(toUp)
    steps.append { toUp.execute([(DNNL_ARG_FROM, upPart), (DNNL_ARG_TO, diffUp.memory)], context: ctx) }

    let skipPart = try splitSource.view(skipPartMD!, context: ctx)
    let diffSkip = diffs[skip]!
    let skipCropMD = try DNNL.submemory(diffSkip.md, dims: cropDims, offsets: [0, 0, offset, offset])
    let skipCrop = try diffSkip.view(skipCropMD, context: ctx)
    let accumulate = try makeReorder(from: skipPartMD!, to: skipCropMD, accumulate: true, context: ctx)
    primitives.append(accumulate)
    let region: [() -> Void] = [{ accumulate.execute([(DNNL_ARG_FROM, skipPart), (DNNL_ARG_TO, skipCrop)], context: ctx) }]
    return (steps, region)
  }

  private func buildDropout(input: Int, output: Int, probability: Double) throws -> [() -> Void] {
    guard training, probability > 0 else {
      // The identity: the output is the input's buffer.
      values.append(values[input])
      diffs.append(diffs[input])
      return []
    }
    let ctx = context
    let source = values[input]
    let out = try addTensor(source.md)
    let mask = try DNNLBuffer(source.md, context: ctx)
    let plainMD = DNNL.desc(dims(input), dnnl_nchw)
    let plain = try DNNLBuffer(plainMD, context: ctx)
    let toNative = try makeReorder(from: plainMD, to: source.md, context: ctx)
    primitives.append(toNative)
    let count = dims(input).reduce(1, *)
    forwardSteps.append { [unowned self] in
      let values = Graph.dropoutMask(seed: self.dropoutSeed, stream: UInt64(output), count: count, probability: probability)
      values.withUnsafeBytes { plain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
      toNative.execute([(DNNL_ARG_FROM, plain.memory), (DNNL_ARG_TO, mask.memory)], context: ctx)
      let m = mask.floats
      let x = source.floats
      let y = out.floats
      for k in 0..<m.count { y[k] = x[k] * m[k] }
    }
    let diffOut = diffs[output]!
    let diffIn = diffs[input]!
    return [{
      let m = mask.floats
      let dy = diffOut.floats
      let dx = diffIn.floats
      for k in 0..<m.count { dx[k] = dy[k] * m[k] }
    }]
  }

  // MARK: Running

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

  @_spi(Testing) public func gradients() -> [[Float]] {
    precondition(training, "gradients need a training graph")
    return params.map { $0!.read($0!.gradient!, context: context) }
  }

  func forward(_ input: [Float], dropoutSeed: UInt64) throws -> [Float] {
    guard input.count == batch * graph.inputChannels * inputSize * inputSize else {
      throw TrainingError("input of \(input.count) values for \(batch)x\(graph.inputChannels)x\(inputSize)x\(inputSize)")
    }
    self.dropoutSeed = dropoutSeed
    input.withUnsafeBytes { values[0].pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    for step in forwardSteps { step() }
    let last = values.count - 1
    logitsReorder!.execute([(DNNL_ARG_FROM, values[last].memory), (DNNL_ARG_TO, logitsPlain.memory)], context: context)
    return Array(logitsPlain.floats.prefix(batch * outputShape.channels * outputShape.size * outputShape.size))
  }

  private var logitsReorder: DNNLPrimitive!

  func backward(_ logitGradient: [Float]) throws {
    guard training else { throw TrainingError("backward needs a training graph") }
    guard logitGradient.count == batch * outputShape.channels * outputShape.size * outputShape.size else {
      throw TrainingError("logit gradient of \(logitGradient.count) values for \(batch)x\(outputShape.channels)x\(outputShape.size)x\(outputShape.size)")
    }
    logitGradient.withUnsafeBytes { logitsPlain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    for step in backwardSteps { step() }
  }

  func update(_ optimizer: Optimizer, learningRate: Float, step: Int) throws {
    guard training else { throw TrainingError("update needs a training graph") }
    switch optimizer {
    case .sgd(let momentum): try sgdStep(learningRate: learningRate, momentum: Float(momentum))
    }
  }

  /// SGD with momentum as in PyTorch: v ← μ·v + g, p ← p − η·v.
  private func sgdStep(learningRate: Float, momentum mu: Float) throws {
    for p in params {
      let w = p!.value.floats
      let g = p!.gradient!.floats
      let v = try p!.slot("momentum", context: context).floats
      for k in 0..<w.count {
        let velocity = mu * v[k] + g[k]
        v[k] = velocity
        w[k] -= learningRate * velocity
      }
    }
  }
}
