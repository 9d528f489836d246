import CDNNL

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
  /// nil where oneDNN has no conversion back (Winograd's weights): `read`
  /// then returns the values last loaded, kept in `loaded`.
  let toPlain: DNNLPrimitive?
  /// The values last loaded into `value`, kept where `toPlain` is nil (an
  /// array the caller holds anyway, so it costs no copy).
  private var loaded: [Float]?
  private let context: DNNLContext

  /// Input channels of the native tensor when they are zero-padded beyond
  /// the model's (the first convolution's, see `DNNLGraph.planConvolution`).
  let paddedInputChannels: Int?

  /// Whether the parameter belongs to a 2×2 stride-2 up-convolution run as
  /// a 1×1 convolution with one output channel per kernel position and
  /// channel (`DNNLGraph.buildPointwiseUpConvolution`): the weight [I, O, 2, 2]
  /// is held as [(dy, dx, O), I, 1, 1], the bias [O] repeated 4 times.
  let pointwiseUpConvolution: Bool

  /// Whether `load` and `read` rearrange the values in Swift (a reorder
  /// alone cannot express the mapping).
  var rearranged: Bool { paddedInputChannels != nil || pointwiseUpConvolution }

  init(
    spec: ParameterSpec, native md: dnnl_memory_desc_t, paddedInputChannels: Int? = nil,
    pointwiseUpConvolution: Bool = false, training: Bool, context: DNNLContext
  ) throws {
    self.spec = spec
    self.paddedInputChannels = paddedInputChannels
    self.pointwiseUpConvolution = pointwiseUpConvolution
    switch spec.role {
    case .convolutionWeight:
      var shape = spec.shape
      if let paddedInputChannels { shape[1] = paddedInputChannels }
      plainMD = DNNL.desc(shape, shape.count == 5 ? dnnl_oidhw : dnnl_oihw)
    case .upConvolutionWeight where pointwiseUpConvolution:
      plainMD = DNNL.desc([4 * spec.shape[1], spec.shape[0], 1, 1], dnnl_oihw)
    // oneDNN orders deconvolution weights [out, in, (kd,) kh, kw]; PyTorch stores [in, out, (kd,) kh, kw].
    case .upConvolutionWeight:
      let window = Array(spec.shape.dropFirst(2))
      plainMD = DNNL.desc([spec.shape[1], spec.shape[0]] + window, window.count == 3 ? dnnl_iodhw : dnnl_iohw)
    case .bias where pointwiseUpConvolution: plainMD = DNNL.desc([4 * spec.shape[0]], dnnl_x)
    case .bias, .normScale, .normShift: plainMD = DNNL.desc(spec.shape, dnnl_x)
    }
    self.context = context
    value = try DNNLBuffer(md, context: context)
    toNative = try makeReorder(from: plainMD, to: md, context: context)
    toPlain = try? makeReorder(from: md, to: plainMD, context: context)
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
    remember(values, in: buffer)
    let plain = self.plain
    if pointwiseUpConvolution {
      let p = plain.floats
      if spec.role == .bias {
        // Output channel q·O + c of the 1×1 convolution is channel c at kernel position q.
        for q in 0..<4 { for c in values.indices { p[q * values.count + c] = values[c] } }
      } else {
        // [I, O, 2, 2] into [(q, O), I] with q = 2·dy + dx.
        let (i, o) = (spec.shape[0], spec.shape[1])
        for a in 0..<i {
          for c in 0..<o {
            for q in 0..<4 { p[(q * o + c) * i + a] = values[(a * o + c) * 4 + q] }
          }
        }
      }
    } else if let padded = paddedInputChannels {
      // [O, I, k, k] into [O, P, k, k] (k×k×k in 3-D); the padding channels stay 0.
      let (o, i, kk) = (spec.shape[0], spec.shape[1], spec.shape.dropFirst(2).reduce(1, *))
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

  /// Keeps `values`, loaded into `buffer`, for `read` where there is no
  /// conversion back.
  func remember(_ values: [Float], in buffer: DNNLBuffer) {
    guard toPlain == nil else { return }
    precondition(buffer === value, "\(spec.name): only the value of a parameter without a plain conversion is loaded")
    loaded = values
  }

  /// The slot `name`, made (zero) when it does not exist yet.
  func slot(_ name: String, context: DNNLContext) throws -> DNNLBuffer {
    if let buffer = slots[name] { return buffer }
    let buffer = try DNNLBuffer(value.md, context: context)
    slots[name] = buffer
    return buffer
  }

  func read(_ buffer: DNNLBuffer, context: DNNLContext) -> [Float] {
    guard let toPlain else {
      precondition(buffer === value, "\(spec.name): only the value of a parameter without a plain conversion is read")
      return loaded ?? [Float](repeating: 0, count: spec.count)
    }
    let plain = self.plain
    toPlain.execute([(DNNL_ARG_FROM, buffer.memory), (DNNL_ARG_TO, plain.memory)], context: context)
    if pointwiseUpConvolution {
      let p = plain.floats
      // The bias's first copy; the weight back from [(q, O), I] to [I, O, 2, 2].
      guard spec.role != .bias else { return Array(p.prefix(spec.count)) }
      let (i, o) = (spec.shape[0], spec.shape[1])
      var values = [Float](repeating: 0, count: spec.count)
      for a in 0..<i {
        for c in 0..<o {
          for q in 0..<4 { values[(a * o + c) * 4 + q] = p[(q * o + c) * i + a] }
        }
      }
      return values
    }
    guard let padded = paddedInputChannels else { return Array(plain.floats.prefix(spec.count)) }
    let (o, i, kk) = (spec.shape[0], spec.shape[1], spec.shape.dropFirst(2).reduce(1, *))
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
