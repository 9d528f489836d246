import CDNNL
import Foundation

/// The CPU backend: oneDNN primitives for every layer, with the layouts
/// oneDNN prefers (blocked, such as nChw16c) kept from layer to layer. Plain
/// layouts appear only at the boundary: the input, the logits and the
/// parameters as the model code sees them.
public struct DNNLBackend: Backend {
  /// How the weight gradients of the 3×3 convolutions are computed.
  public enum WeightGradient: String, Sendable, CaseIterable {
    /// `gemm` below AVX-512, where oneDNN 2.6's AVX2 weight-gradient kernel
    /// runs below its forward kernel's speed (on a Zen 1 EPYC the paper's
    /// step was 4 % faster with the products); `primitive` from AVX-512 up.
    case automatic
    /// oneDNN's weight-gradient primitive.
    case primitive
    /// Nine matrix products per image (oneDNN's sgemm), one per kernel
    /// offset, over the input and the output gradient in nhwc layout.
    case gemm
  }

  /// The thread count oneDNN uses (all cores unless set).
  public let threads: Int
  /// How 3×3 weight gradients are computed.
  public let weightGradient: WeightGradient

  /// - Parameters:
  ///   - threads: oneDNN's thread count; nil keeps OpenMP's default (all
  ///     cores, or OMP_NUM_THREADS).
  ///   - weightGradient: how 3×3 weight gradients are computed.
  public init(threads: Int? = nil, weightGradient: WeightGradient = .automatic) {
    if let threads { DNNL.setThreads(max(1, threads)) }
    self.threads = DNNL.maxThreads()
    self.weightGradient = weightGradient
  }

  /// Whether 3×3 weight gradients run as matrix products at the
  /// instruction set in use.
  var usesGEMMWeightGradients: Bool {
    switch weightGradient {
    case .automatic: return !isa.hasPrefix("AVX512")
    case .primitive: return false
    case .gemm: return true
    }
  }

  public var name: String {
    guard let v = dnnl_version() else { return "oneDNN" }
    return "oneDNN \(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch) (\(isa), \(threads) threads)"
  }

  /// The instruction set of oneDNN's kernels here ("AVX512_CORE", "AVX2",
  /// …): the machine's best, or lower when `ONEDNN_MAX_CPU_ISA` caps it.
  public var isa: String { DNNL.effectiveISA }

  public func compile(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws -> any CompiledGraph {
    try DNNLGraph(
      graph, batch: batch, inputSize: inputSize, training: training, gemmWeightGradients: usesGEMMWeightGradients)
  }
}

/// The scratch memory of the matrix-product weight gradients: three blocks
/// (the input in nhwc, the output gradient in nhwc with rows as wide as the
/// input's, the nine products) that every layer's buffers share, since the
/// layers' backward passes run one after another; and a vector of ones for
/// the bias gradients.
final class GEMMScratch {
  /// Buffers by block, each placed at its block's start by `place()`.
  var blocks: [[DNNLBuffer]] = [[], [], []]
  /// The longest vector of ones a bias gradient needs.
  var onesCount = 0
  private(set) var arenas: [DNNLArena] = []
  private(set) var ones: UnsafeMutablePointer<Float>?

  func place() throws {
    for buffers in blocks where !buffers.isEmpty {
      let arena = try DNNLArena(bytes: buffers.map(\.bytes).max()!)
      for buffer in buffers { try buffer.place(at: arena.pointer) }
      arenas.append(arena)
    }
    if onesCount > 0 {
      ones = .allocate(capacity: onesCount)
      ones!.initialize(repeating: 1, count: onesCount)
    }
  }

  deinit { ones?.deallocate() }
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
  let toNative: DNNLPrimitive
  let toPlain: DNNLPrimitive
  private let context: DNNLContext

  /// Input channels of the native tensor when they are zero-padded beyond
  /// the model's (the first convolution's, see `DNNLGraph.planConvolution`).
  let paddedInputChannels: Int?

  init(
    spec: ParameterSpec, native md: dnnl_memory_desc_t, paddedInputChannels: Int? = nil, training: Bool,
    context: DNNLContext
  ) throws {
    self.spec = spec
    self.paddedInputChannels = paddedInputChannels
    switch spec.role {
    case .convolutionWeight:
      var shape = spec.shape
      if let paddedInputChannels { shape[1] = paddedInputChannels }
      plainMD = DNNL.desc(shape, dnnl_oihw)
    // oneDNN orders deconvolution weights [out, in, kh, kw]; PyTorch stores [in, out, kh, kw].
    case .upConvolutionWeight: plainMD = DNNL.desc([spec.shape[1], spec.shape[0], 2, 2], dnnl_iohw)
    case .bias, .normScale, .normShift: plainMD = DNNL.desc(spec.shape, dnnl_x)
    }
    self.context = context
    value = try DNNLBuffer(md, context: context)
    toNative = try makeReorder(from: plainMD, to: md, context: context)
    toPlain = try makeReorder(from: md, to: plainMD, context: context)
    if training {
      gradient = try DNNLBuffer(md, context: context)
    }
  }

  /// A plain buffer for one conversion (not kept: it would double the
  /// parameters' memory).
  private var plain: DNNLBuffer {
    guard let buffer = try? DNNLBuffer(plainMD, context: context) else {
      fatalError("out of memory for \(spec.name)")
    }
    return buffer
  }

  func load(_ values: [Float], into buffer: DNNLBuffer, context: DNNLContext) {
    precondition(values.count == spec.count, "\(spec.name): \(values.count) values for shape \(spec.shape)")
    let plain = self.plain
    if let padded = paddedInputChannels {
      // [O, I, k, k] into [O, P, k, k]; the padding channels stay 0.
      let (o, i, kk) = (spec.shape[0], spec.shape[1], spec.shape[2] * spec.shape[3])
      let p = plain.floats
      p.update(repeating: 0)
      for a in 0..<o {
        for b in 0..<i {
          for k in 0..<kk { p[(a * padded + b) * kk + k] = values[(a * i + b) * kk + k] }
        }
      }
    } else {
      values.withUnsafeBytes { plain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
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
    let plain = self.plain
    toPlain.execute([(DNNL_ARG_FROM, buffer.memory), (DNNL_ARG_TO, plain.memory)], context: context)
    guard let padded = paddedInputChannels else { return Array(plain.floats.prefix(spec.count)) }
    let (o, i, kk) = (spec.shape[0], spec.shape[1], spec.shape[2] * spec.shape[3])
    let p = plain.floats
    var values = [Float](repeating: 0, count: spec.count)
    for a in 0..<o {
      for b in 0..<i {
        for k in 0..<kk { values[(a * i + b) * kk + k] = p[(a * padded + b) * kk + k] }
      }
    }
    return values
  }
}

/// A compiled graph on oneDNN: forward and backward as lists of steps.
final class DNNLGraph: CompiledGraph {
  let batch: Int
  let inputSize: Int
  let outputShape: (channels: Int, size: Int)
  let training: Bool
  let context: DNNLContext
  let graph: Graph
  let shapes: [(channels: Int, size: Int)]
  var params: [DNNLParameter?] = []
  /// The running statistics in `graph.statistics` order (plain [C] buffers).
  var statistics: [DNNLBuffer?] = []
  /// Training forward passes that updated `statistics`.
  var statisticsBatches = 0
  /// Activations per tensor, in the layout of the operation that wrote it.
  private(set) var values: [DNNLBuffer] = []
  /// Gradients per tensor (training only), in the same layout as `values`.
  private(set) var diffs: [DNNLBuffer?] = []
  /// Operations whose backward pass reads their own output (a ReLU's gradient).
  var backwardReadsOutput: Set<Int> = []
  var forwardSteps: [() -> Void] = []
  private var backwardSteps: [() -> Void] = []
  private var dropoutSeed: UInt64 = 0
  private let logitsPlain: DNNLBuffer
  private(set) var primitives: [DNNLPrimitive] = []
  /// Reorders between layers that oneDNN's layout choices forced (0 in the
  /// paper's configuration: blocked layouts run end to end).
  private(set) var layoutConversions = 0
  /// The primitives that run in every step, with the implementation oneDNN
  /// chose for each, in the order they were made.
  private(set) var kernels: [Kernel] = []
  /// The channel count the network's input is zero-padded to, if it is.
  private var inputPadding: Int?
  /// The bytes of the activation and gradient buffers (`placeTensors`).
  private(set) var arena: DNNLArena?
  /// Whether 3×3 weight gradients run as matrix products (`DNNLBackend.WeightGradient`).
  let gemmWeightGradients: Bool
  let scratch = GEMMScratch()

  init(_ graph: Graph, batch: Int, inputSize: Int, training: Bool, gemmWeightGradients: Bool = false) throws {
    guard let shapes = graph.shapes(inputSize: inputSize) else {
      throw TrainingError("input size \(inputSize) does not fit the network")
    }
    self.graph = graph
    self.shapes = shapes
    self.batch = batch
    self.inputSize = inputSize
    self.training = training
    self.gemmWeightGradients = gemmWeightGradients
    outputShape = shapes.last!
    context = try DNNLContext()
    logitsPlain = try DNNLBuffer(
      DNNL.desc([batch, outputShape.channels, outputShape.size, outputShape.size], dnnl_nchw), context: context)
    params = Array(repeating: nil, count: graph.parameters.count)
    statistics = Array(repeating: nil, count: graph.statistics.count)
    try build()
    try placeTensors()
    try scratch.place()
  }

  /// Keeps `primitive` alive and lists it as one that runs every step.
  func hot(_ primitive: DNNLPrimitive, _ operation: String) {
    primitives.append(primitive)
    kernels.append(Kernel(operation: operation, implementation: primitive.implementation))
  }

  func dims(_ tensor: Int) -> [Int] {
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
      case .convolution(let inputIndex, let parameter, let channels, let kernel, let bias, let relu):
        backward = try buildConvolution(
          input: inputIndex, output: out, parameter: parameter, channels: channels, kernel: kernel, bias: bias, relu: relu,
          deconvolution: false)
      case .upConvolution(let inputIndex, let parameter, let channels):
        backward = try buildConvolution(
          input: inputIndex, output: out, parameter: parameter, channels: channels, kernel: 2, bias: true, relu: false,
          deconvolution: true)
      case .batchNorm(let inputIndex, let parameter, let statistics, let relu):
        backward = try buildBatchNorm(input: inputIndex, output: out, parameter: parameter, statistics: statistics, relu: relu)
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
    kernels.append(Kernel(operation: "logits layout", implementation: logitsReorder!.implementation))
    guard training else { return }
    // The loss gradient arrives in plain layout.
    let last = values.count - 1
    let toNative = try makeReorder(from: logitsPlain.md, to: values[last].md, context: context)
    hot(toNative, "logit gradient layout")
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
    hot(reorder, t == 0 ? "input layout" : "tensor \(t) layout")
    if t != 0 { layoutConversions += 1 }
    let source = values[t]
    let ctx = context
    forwardSteps.append {
      reorder.execute([(DNNL_ARG_FROM, source.memory), (DNNL_ARG_TO, converted.memory)], context: ctx)
    }
    return converted
  }

  /// Registers the output buffer of a new tensor (and its gradient buffer).
  /// Both get their bytes in the arena once the graph is built (`placeTensors`).
  func addTensor(_ md: dnnl_memory_desc_t) throws -> DNNLBuffer {
    func make() throws -> DNNLBuffer {
      let buffer = try DNNLBuffer(unplaced: md, context: context)
      return buffer.hasPadding ? try DNNLBuffer(md, context: context) : buffer
    }
    let buffer = try make()
    values.append(buffer)
    diffs.append(training ? try make() : nil)
    return buffer
  }

  /// Gives every activation and gradient buffer its bytes in one arena, where
  /// buffers share memory when no moment of a step uses both (`MemoryPlan`).
  /// The moments: each operation's forward pass, reading the logits, writing
  /// the loss gradient, then each operation's backward pass in reverse, with
  /// a crop's gradient accumulated into its skip tensor just before the skip
  /// tensor's producer runs backward.
  private func placeTensors() throws {
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
        case .upConvolution(let input, _, _):
          use(values[input])
          use(diffs[input])
        case .maxPool(let input), .dropout(let input, _):
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

  /// Steps that write a gradient computed in layout `md` into tensor `t`'s
  /// gradient: directly when the layouts agree, else through a reorder.
  func diffTarget(_ t: Int, computedAs md: dnnl_memory_desc_t) throws -> (buffer: DNNLBuffer, after: [() -> Void]) {
    let diff = diffs[t]!
    if DNNL.equal(diff.md, md) { return (diff, []) }
    let temporary = try DNNLBuffer(md, context: context)
    let reorder = try makeReorder(from: md, to: diff.md, context: context)
    hot(reorder, "tensor \(t) gradient layout")
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

  /// One way to run a convolution: its primitives and the input channel
  /// count they were made for (more than the tensor's when zero-padded).
  private struct ConvolutionPlan {
    var forward: DNNLPrimitive
    var backwardWeights: DNNLPrimitive?
    var backwardData: DNNLPrimitive?
    var inputChannels: Int

    var primitives: [DNNLPrimitive] { [forward] + [backwardWeights, backwardData].compactMap { $0 } }
    var usesReference: Bool { primitives.contains { DNNL.isReference($0.implementation) } }
  }

  /// The primitives of a convolution (or 2×2 stride-2 deconvolution) whose
  /// source has `inputChannels` channels in layout `tag` (`any`: oneDNN's choice).
  private func makeConvolution(
    input: Int, output: Int, inputChannels: Int, tag: dnnl_format_tag_t, channels: Int, kernel: Int, bias hasBias: Bool,
    relu: Bool, deconvolution: Bool
  ) throws -> ConvolutionPlan {
    let ctx = context
    var srcDims = dims(input)
    srcDims[1] = inputChannels
    let weightsAny = DNNL.any([channels, inputChannels, kernel, kernel])
    // A zero descriptor is oneDNN's "no bias".
    let biasMD = hasBias ? DNNL.desc([channels], dnnl_x) : dnnl_memory_desc_t()
    let stride: [dnnl_dim_t] = deconvolution ? [2, 2] : [1, 1]
    let zero: [dnnl_dim_t] = [0, 0]
    let prop = training ? dnnl_forward_training : dnnl_forward_inference
    let what = deconvolution ? "up-convolution" : "convolution"

    var src = DNNL.desc(srcDims, tag), weights = weightsAny, bias = biasMD, dst = DNNL.any(dims(output))
    let forward: DNNLPrimitive
    if deconvolution {
      var desc = dnnl_deconvolution_desc_t()
      try DNNL.check(
        dnnl_deconvolution_forward_desc_init(&desc, prop, dnnl_deconvolution_direct, &src, &weights, &bias, &dst, stride, zero, zero),
        what)
      forward = try DNNLPrimitive(op: &desc, context: ctx, what: what)
    } else {
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_forward_desc_init(&desc, prop, dnnl_convolution_direct, &src, &weights, &bias, &dst, stride, zero, zero),
        what)
      let attr = try attributes(relu: relu)
      defer { dnnl_primitive_attr_destroy(attr) }
      forward = try DNNLPrimitive(op: &desc, attr: attr, context: ctx, what: what)
    }
    var plan = ConvolutionPlan(forward: forward, inputChannels: inputChannels)
    guard training else { return plan }

    // Weight gradient.
    let srcMD = forward.md(dnnl_query_src_md), dstMD = forward.md(dnnl_query_dst_md)
    var bwSrc = srcMD, bwDiffWeights = weightsAny, bwDiffBias = biasMD, bwDiffDst = dstMD
    if deconvolution {
      var desc = dnnl_deconvolution_desc_t()
      try DNNL.check(
        dnnl_deconvolution_backward_weights_desc_init(
          &desc, dnnl_deconvolution_direct, &bwSrc, &bwDiffWeights, &bwDiffBias, &bwDiffDst, stride, zero, zero),
        "\(what) weight gradient")
      plan.backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    } else {
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_backward_weights_desc_init(
          &desc, dnnl_convolution_direct, &bwSrc, &bwDiffWeights, &bwDiffBias, &bwDiffDst, stride, zero, zero),
        "\(what) weight gradient")
      plan.backwardWeights = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) weight gradient")
    }

    // Input gradient (not needed for the network's input).
    guard input != 0 else { return plan }
    var bdDiffSrc = srcMD, bdWeights = weightsAny, bdDiffDst = dstMD
    if deconvolution {
      var desc = dnnl_deconvolution_desc_t()
      try DNNL.check(
        dnnl_deconvolution_backward_data_desc_init(&desc, dnnl_deconvolution_direct, &bdDiffSrc, &bdWeights, &bdDiffDst, stride, zero, zero),
        "\(what) input gradient")
      plan.backwardData = try DNNLPrimitive(op: &desc, hint: forward, context: ctx, what: "\(what) input gradient")
    } else {
      var desc = dnnl_convolution_desc_t()
      try DNNL.check(
        dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &bdDiffSrc, &bdWeights, &bdDiffDst, stride, zero, zero),
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
  /// are the JIT backward passes below AVX). The first candidate without a
  /// reference kernel wins; if none exists, the first candidate runs.
  private func planConvolution(
    input: Int, output: Int, channels: Int, kernel: Int, bias: Bool, relu: Bool, deconvolution: Bool
  ) throws -> ConvolutionPlan {
    let realChannels = shapes[input].channels
    var candidates: [(channels: Int, tag: dnnl_format_tag_t)] = [(realChannels, dnnl_format_tag_any)]
    // Padding changes tensor 0 itself: only when this convolution is its one reader.
    let readers = graph.operations.filter { $0.inputs.contains(input) }.count
    if input == 0, readers == 1, !deconvolution {
      candidates += [8, 16].filter { $0 > realChannels }.map { ($0, dnnl_format_tag_any) }
    }
    candidates += [(realChannels, dnnl_nhwc), (realChannels, dnnl_nchw)]
    var first: ConvolutionPlan?
    var lastError: Error?
    for candidate in candidates {
      do {
        let plan = try makeConvolution(
          input: input, output: output, inputChannels: candidate.channels, tag: candidate.tag, channels: channels,
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

  /// A convolution (or 2×2 stride-2 deconvolution) with or without bias and
  /// optional fused ReLU; returns its backward steps.
  private func buildConvolution(
    input: Int, output: Int, parameter: Int, channels: Int, kernel: Int, bias hasBias: Bool, relu: Bool,
    deconvolution: Bool
  ) throws -> [() -> Void] {
    let ctx = context
    let biasMD = DNNL.desc([channels], dnnl_x)
    let what = deconvolution ? "up-convolution" : "convolution"
    let plan = try planConvolution(
      input: input, output: output, channels: channels, kernel: kernel, bias: hasBias, relu: relu,
      deconvolution: deconvolution)
    let forward = plan.forward
    let label = "\(what) \(output) (\(shapes[input].channels)→\(channels), \(shapes[input].size)→\(shapes[output].size))"
    hot(forward, "\(label) forward")
    let padded = plan.inputChannels != shapes[input].channels ? plan.inputChannels : nil
    if let padded {
      // The network's input, zero-padded: `forward(_:)` fills the first channels.
      values[0] = try DNNLBuffer(DNNL.desc([batch, padded, inputSize, inputSize], dnnl_nchw), context: ctx)
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
      hot(reluBackward, "ReLU \(output) backward")
      steps.append {
        reluBackward.execute(
          [(DNNL_ARG_DST, out.memory), (DNNL_ARG_DIFF_DST, diffOut.memory), (DNNL_ARG_DIFF_SRC, diffOut.memory)], context: ctx)
      }
    }

    // Weight gradient.
    if gemmWeightGradients, !deconvolution, kernel == 3, input != 0 {
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

  /// The weight and bias gradients of a 3×3 stride-1 convolution as matrix
  /// products. With the input X (H × H × I, nhwc) and the output gradient
  /// D (OH × OH × O, OH = H − 2), the gradient of the weight at kernel
  /// offset (kh, kw) is Σ over output pixels p of D[p] ⊗ X[p + (kh, kw)]:
  /// an O × I product over OH² pixels. D is stored with rows as wide as
  /// X's (H pixels; the last two of each row zero), so that pixel p + (kh, kw)
  /// of X is the same flat distance kh·H + kw from p in both: each offset is
  /// then one sgemm over OH·H − 2 flat pixels (the zero columns cancel the
  /// products that wrap from one row into the next). On an AVX2 CPU (Zen 1)
  /// oneDNN's sgemm ran these products 0–20 % faster per layer than its
  /// AVX2 weight-gradient kernel, and the paper's step 4 % faster with the
  /// two reorders to nhwc included (BENCHMARKS.md).
  private func gemmWeightGradient(
    source: DNNLBuffer, diffOut: DNNLBuffer, input: Int, output: Int, weightGradient: DNNLBuffer,
    biasGradient: DNNLBuffer?, label: String
  ) throws -> [() -> Void] {
    let ctx = context
    let (n, co, oh) = (batch, shapes[output].channels, shapes[output].size)
    let (ci, h) = (shapes[input].channels, shapes[input].size)
    precondition(h == oh + 2, "a 3×3 valid convolution's input is its output plus 2")
    let inputMD = DNNL.desc([n, ci, h, h], dnnl_nhwc)
    let gradientMD = try DNNL.strided([n, co, oh, oh], strides: [oh * h * co, 1, h * co, co])
    let productMD = try DNNL.strided([co, ci, 3, 3], strides: [ci, 1, 3 * co * ci, co * ci])
    let x = try DNNLBuffer(unplaced: inputMD, context: ctx)
    let d = try DNNLBuffer(unplaced: gradientMD, context: ctx)
    let c = try DNNLBuffer(unplaced: productMD, context: ctx)
    scratch.blocks[0].append(x)
    scratch.blocks[1].append(d)
    scratch.blocks[2].append(c)
    let flat = oh * h - 2
    if biasGradient != nil { scratch.onesCount = max(scratch.onesCount, flat) }
    let toInput = try makeReorder(from: source.md, to: inputMD, context: ctx)
    let toGradient = try makeReorder(from: diffOut.md, to: gradientMD, context: ctx)
    let toWeights = try makeReorder(from: productMD, to: weightGradient.md, context: ctx)
    hot(toInput, "\(label) weight gradient: input as nhwc")
    hot(toGradient, "\(label) weight gradient: output gradient as nhwc")
    kernels.append(Kernel(operation: "\(label) weight gradient", implementation: "gemm:sgemm (9 products per image)"))
    hot(toWeights, "\(label) weight gradient layout")
    let scratch = self.scratch
    return [{
      toInput.execute([(DNNL_ARG_FROM, source.memory), (DNNL_ARG_TO, x.memory)], context: ctx)
      toGradient.execute([(DNNL_ARG_FROM, diffOut.memory), (DNNL_ARG_TO, d.memory)], context: ctx)
      let xs = x.floats.baseAddress!, ds = d.floats.baseAddress!, cs = c.floats.baseAddress!
      // The two columns past each row's end (the block is shared, so they
      // hold another layer's values); the last row's are never read.
      for b in 0..<n {
        for row in 0..<(oh - 1) { (ds + (b * oh + row) * h * co + oh * co).update(repeating: 0, count: 2 * co) }
      }
      let (t, nt) = (CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")))
      for b in 0..<n {
        let db = ds + b * oh * h * co, xb = xs + b * h * h * ci
        let beta: Float = b == 0 ? 0 : 1
        for kh in 0..<3 {
          for kw in 0..<3 {
            let status = dnnl_sgemm(
              t, nt, dnnl_dim_t(co), dnnl_dim_t(ci), dnnl_dim_t(flat), 1, db, dnnl_dim_t(co), xb + (kh * h + kw) * ci,
              dnnl_dim_t(ci), beta, cs + (kh * 3 + kw) * co * ci, dnnl_dim_t(ci))
            precondition(status == dnnl_success, "oneDNN sgemm failed (status \(status.rawValue))")
          }
        }
        if let biasGradient {
          let status = dnnl_sgemm(
            t, nt, dnnl_dim_t(co), 1, dnnl_dim_t(flat), 1, db, dnnl_dim_t(co), scratch.ones!, 1, beta,
            biasGradient.floats.baseAddress!, 1)
          precondition(status == dnnl_success, "oneDNN sgemm failed (status \(status.rawValue))")
        }
      }
      toWeights.execute([(DNNL_ARG_FROM, c.memory), (DNNL_ARG_TO, weightGradient.memory)], context: ctx)
    }]
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
    hot(forward, "max pooling \(output) forward")
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
    hot(backward, "max pooling \(output) backward")
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
    // oneDNN's concatenation of a cropped view is its reference
    // implementation (a reorder per source). The same two reorders, made
    // here, are JIT ones: the cropped skip tensor and the up tensor are copied
    // into channel ranges of the output, whose layout oneDNN's concatenation
    // would choose, or a plain one when the split would cut a block.
    var sources = [cropMD, values[up].md]
    var pd: dnnl_primitive_desc_t?
    let status = sources.withUnsafeMutableBufferPointer {
      dnnl_concat_primitive_desc_create(&pd, nil, 2, 1, $0.baseAddress, nil, ctx.engine)
    }
    var outMD = DNNL.desc(dims(output), dnnl_nchw)
    if status == dnnl_success, let pd {
      outMD = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0).pointee
      dnnl_primitive_desc_destroy(pd)
    }
    let upDims = [batch, upChannels, size, size]
    if (try? DNNL.submemory(outMD, dims: cropDims, offsets: [0, 0, 0, 0])) == nil
      || (try? DNNL.submemory(outMD, dims: upDims, offsets: [0, skipChannels, 0, 0])) == nil
    {
      outMD = DNNL.desc(dims(output), dnnl_nchw)
    }
    let out = try addTensor(outMD)
    let skipTargetMD = try DNNL.submemory(outMD, dims: cropDims, offsets: [0, 0, 0, 0])
    let upTargetMD = try DNNL.submemory(outMD, dims: upDims, offsets: [0, skipChannels, 0, 0])
    let skipTarget = try out.view(skipTargetMD, context: ctx)
    let upTarget = try out.view(upTargetMD, context: ctx)
    let copySkip = try makeReorder(from: cropMD, to: skipTargetMD, context: ctx)
    let copyUp = try makeReorder(from: values[up].md, to: upTargetMD, context: ctx)
    hot(copySkip, "concatenation \(output) skip")
    hot(copyUp, "concatenation \(output) up")
    let upBuffer = values[up]
    forwardSteps.append {
      copySkip.execute([(DNNL_ARG_FROM, crop), (DNNL_ARG_TO, skipTarget)], context: ctx)
      copyUp.execute([(DNNL_ARG_FROM, upBuffer.memory), (DNNL_ARG_TO, upTarget)], context: ctx)
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
      hot(reorder, "concatenation \(output) gradient layout")
      layoutConversions += 1
      steps.append { reorder.execute([(DNNL_ARG_FROM, diffOut.memory), (DNNL_ARG_TO, plain.memory)], context: ctx) }
      splitSource = plain
      skipPartMD = try DNNL.submemory(plainMD, dims: cropDims, offsets: [0, 0, 0, 0])
      upPartMD = try DNNL.submemory(plainMD, dims: [batch, upChannels, size, size], offsets: [0, skipChannels, 0, 0])
    }
    let upPart = try splitSource.view(upPartMD!, context: ctx)
    let toUp = try makeReorder(from: upPartMD!, to: diffs[up]!.md, context: ctx)
    let diffUp = diffs[up]!
    hot(toUp, "concatenation \(output) up gradient")
    steps.append { toUp.execute([(DNNL_ARG_FROM, upPart), (DNNL_ARG_TO, diffUp.memory)], context: ctx) }

    let skipPart = try splitSource.view(skipPartMD!, context: ctx)
    let diffSkip = diffs[skip]!
    let skipCropMD = try DNNL.submemory(diffSkip.md, dims: cropDims, offsets: [0, 0, offset, offset])
    let skipCrop = try diffSkip.view(skipCropMD, context: ctx)
    let accumulate = try makeReorder(from: skipPartMD!, to: skipCropMD, accumulate: true, context: ctx)
    hot(accumulate, "concatenation \(output) skip gradient")
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
    hot(toNative, "dropout \(output) mask layout")
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

  @_spi(Diagnostics) public func gradients() -> [[Float]] {
    precondition(training, "gradients need a training graph")
    return params.map { $0!.read($0!.gradient!, context: context) }
  }

  func forward(_ input: [Float], dropoutSeed: UInt64) throws -> [Float] {
    guard input.count == batch * graph.inputChannels * inputSize * inputSize else {
      throw TrainingError("input of \(input.count) values for \(batch)x\(graph.inputChannels)x\(inputSize)x\(inputSize)")
    }
    self.dropoutSeed = dropoutSeed
    if let padded = inputPadding {
      // Into the first channels of each item; the padding channels stay 0.
      let item = graph.inputChannels * inputSize * inputSize
      let stride = padded * inputSize * inputSize * MemoryLayout<Float>.size
      input.withUnsafeBytes { bytes in
        for n in 0..<batch {
          (values[0].pointer + n * stride).copyMemory(
            from: bytes.baseAddress! + n * item * MemoryLayout<Float>.size, byteCount: item * MemoryLayout<Float>.size)
        }
      }
    } else {
      input.withUnsafeBytes { values[0].pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
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
}
