import CDNNL
import Foundation

/// A compiled graph on oneDNN: forward and backward as lists of steps.
final class DNNLGraph: CompiledGraph {
  let batch: Int
  let inputExtent: [Int]
  let outputShape: Graph.Shape
  let training: Bool
  let context: DNNLContext
  let graph: Graph
  let shapes: [Graph.Shape]
  var params: [DNNLParameter?] = []
  /// The running statistics in `graph.statistics` order (plain [C] buffers).
  var statistics: [DNNLBuffer?] = []
  /// Training forward passes that updated `statistics`.
  var statisticsBatches = 0
  /// Activations per tensor, in the layout of the operation that wrote it.
  var values: [DNNLBuffer] = []
  /// Gradients per tensor (training only), in the same layout as `values`.
  var diffs: [DNNLBuffer?] = []
  /// Operations whose backward pass reads their own output (a ReLU's gradient).
  var backwardReadsOutput: Set<Int> = []
  var forwardSteps: [() -> Void] = []
  private var backwardSteps: [() -> Void] = []
  /// The seed of the last `forward`, which draws the dropout masks.
  private(set) var dropoutSeed: UInt64 = 0
  /// The logits and their gradient in plain layout.
  private let logitsPlain: DNNLBuffer
  /// Converts the last tensor into `logitsPlain`.
  private var logitsReorder: DNNLPrimitive!
  /// Every primitive the steps run, kept alive with the graph.
  var primitives: [DNNLPrimitive] = []
  /// Reorders between layers that oneDNN's layout choices forced (0 in the
  /// paper's configuration: blocked layouts run end to end).
  var layoutConversions = 0
  /// The primitives that run in every step, with the implementation oneDNN
  /// chose for each, in the order they were made.
  var kernels: [Kernel] = []
  /// The up-convolutions (by output tensor) run as 1×1 convolutions whose
  /// concatenation interleaves their output (`buildPointwiseUpConvolution`).
  var pointwiseUpConvolutions: Set<Int> = []
  /// The channel count the network's input is zero-padded to, if it is.
  var inputPadding: Int?
  /// The bytes of the activation and gradient buffers (`placeTensors`).
  var arena: DNNLArena?
  /// Whether 3×3 weight gradients run as matrix products (`DNNLBackend.WeightGradient`).
  let gemmWeightGradients: Bool
  let scratch = GEMMScratch()

  init(_ graph: Graph, batch: Int, input: [Int], training: Bool, gemmWeightGradients: Bool = false) throws {
    guard let shapes = graph.shapes(input: input) else {
      throw TrainingError("input size \(TileSize(input)) does not fit the network")
    }
    self.graph = graph
    self.shapes = shapes
    self.batch = batch
    inputExtent = input
    self.training = training
    self.gemmWeightGradients = gemmWeightGradients
    outputShape = shapes.last!
    context = try DNNLContext()
    logitsPlain = try DNNLBuffer(
      DNNL.desc([batch, outputShape.channels] + outputShape.extent, DNNL.channelsFirst(rank: 2 + input.count)),
      context: context)
    params = Array(repeating: nil, count: graph.parameters.count)
    statistics = Array(repeating: nil, count: graph.statistics.count)
    try build()
    try placeTensors()
    try scratch.place()
  }

  /// Keeps `primitive` alive and lists it as one that runs every step.
  func hot(_ primitive: DNNLPrimitive, _ operation: String) {
    primitives.append(primitive)
    kernels.append(primitive.kernel(operation))
  }

  func dims(_ tensor: Int) -> [Int] {
    [batch, shapes[tensor].channels] + shapes[tensor].extent
  }

  /// The plain channels-first tag of this graph's tensors (nchw or ncdhw).
  var plainTag: dnnl_format_tag_t { DNNL.channelsFirst(rank: 2 + graph.dimensions) }

  /// The spatial offsets of a tensor's dims: zero along every axis.
  var zeroOffsets: [Int] { Array(repeating: 0, count: 2 + graph.dimensions) }

  /// Pixels (voxels) in one channel of tensor `t`.
  func spatialCount(_ t: Int) -> Int { shapes[t].extent.reduce(1, *) }

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
    let input = try DNNLBuffer(DNNL.desc(dims(0), plainTag), context: context)
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
          input: inputIndex, output: out, parameter: parameter, channels: channels,
          kernel: Array(repeating: kernel, count: graph.dimensions), bias: bias, relu: relu, deconvolution: false)
      case .upConvolution(let inputIndex, let parameter, let channels, let window):
        if let skip = pointwiseSkip(upConvolution: out) {
          try buildPointwiseUpConvolution(
            input: inputIndex, output: out, skip: skip, parameter: parameter, channels: channels)
          break
        }
        backward = try buildConvolution(
          input: inputIndex, output: out, parameter: parameter, channels: channels, kernel: window, bias: true,
          relu: false, deconvolution: true)
      case .batchNorm(let inputIndex, let parameter, let statistics, let relu):
        backward = try buildBatchNorm(input: inputIndex, output: out, parameter: parameter, statistics: statistics, relu: relu)
      case .maxPool(let inputIndex, let window):
        backward = try buildPool(input: inputIndex, output: out, window: window)
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
    kernels.append(logitsReorder!.kernel("logits layout"))
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
  func value(_ t: Int, as md: dnnl_memory_desc_t) throws -> DNNLBuffer {
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

  // MARK: Running

  func forward(_ input: [Float], dropoutSeed: UInt64) throws -> [Float] {
    let plane = spatialCount(0)
    guard input.count == batch * graph.inputChannels * plane else {
      throw TrainingError(
        "input of \(input.count) values for \(([batch, graph.inputChannels] + inputExtent).map(String.init).joined(separator: "x"))")
    }
    self.dropoutSeed = dropoutSeed
    if let padded = inputPadding {
      // Into the first channels of each item; the padding channels stay 0.
      let item = graph.inputChannels * plane
      let stride = padded * plane * MemoryLayout<Float>.size
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
    return Array(logitsPlain.floats.prefix(batch * outputShape.channels * outputShape.extent.reduce(1, *)))
  }

  func backward(_ logitGradient: [Float]) throws {
    guard training else { throw TrainingError("backward needs a training graph") }
    guard logitGradient.count == batch * outputShape.channels * outputShape.extent.reduce(1, *) else {
      throw TrainingError(
        "logit gradient of \(logitGradient.count) values for "
          + ([batch, outputShape.channels] + outputShape.extent).map(String.init).joined(separator: "x"))
    }
    logitGradient.withUnsafeBytes { logitsPlain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    for step in backwardSteps { step() }
  }
}
