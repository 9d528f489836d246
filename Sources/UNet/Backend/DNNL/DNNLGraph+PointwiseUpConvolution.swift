import CDNNL

/// Inference's 2×2 stride-2 up-convolution as a 1×1 convolution and a
/// strided copy. Each output pixel (2y + dy, 2x + dx) depends on input pixel
/// (y, x) alone, through kernel position (dy, dx): a 1×1 convolution with
/// 4·O output channels computes all four positions at once, and the copy
/// that interleaves them writes straight into the concatenation that reads
/// the up-convolution. oneDNN's deconvolution runs as a convolution's input
/// gradient on blocked layouts (two reorders around it); the 1×1
/// convolution is a matrix product on the layout of the other layers.
extension DNNLGraph {
  /// The skip tensor of the concatenation that alone reads the
  /// up-convolution writing tensor `output`, in inference; nil: it runs as
  /// a deconvolution.
  func pointwiseSkip(upConvolution output: Int) -> Int? {
    // The 1×1 form is written for 2×2 windows of square 2-D tensors.
    guard !training, case .upConvolution(_, _, _, let window) = graph.operations[output - 1], window == [2, 2],
      shapes[output].extent[0] == shapes[output].extent[1]
    else { return nil }
    let readers = graph.operations.filter { $0.inputs.contains(output) }
    guard readers.count == 1, case .cropConcat(let skip, let up) = readers[0], up == output else { return nil }
    return skip
  }

  /// The layout of inference's concatenation of `skip` and `up` into
  /// `output`: the skip tensor's own when it blocks channels by a block
  /// that divides both parts, else channels last. Returns the layout and its
  /// channel block (1 for channels last).
  func concatenationLayout(skip: Int, up: Int, output: Int) -> (md: dnnl_memory_desc_t, block: Int) {
    for (tag, block) in [(dnnl_nChw16c, 16), (dnnl_nChw8c, 8)]
    where shapes[skip].channels % block == 0 && shapes[up].channels % block == 0
      && DNNL.equal(values[skip].md, DNNL.desc(dims(skip), tag))
    {
      return (DNNL.desc(dims(output), tag), block)
    }
    return (DNNL.desc(dims(output), dnnl_nhwc), 1)
  }

  /// Builds the 1×1 convolution of the up-convolution `input` → `output`;
  /// tensor `output` holds its 4·O channels (kernel position major) at the
  /// input's size, which `buildCropConcat` interleaves (`interleave`).
  func buildPointwiseUpConvolution(input: Int, output: Int, skip: Int, parameter: Int, channels: Int) throws {
    let ctx = context
    let size = shapes[input].extent[0]
    let inputChannels = shapes[input].channels
    let what = "up-convolution"
    let phaseDims = [batch, 4 * channels, size, size]
    // The input as it is and the concatenation's layout; else channels last.
    let target = concatenationLayout(skip: skip, up: output, output: output + 1)
    let tag = target.block == 16 ? dnnl_nChw16c : target.block == 8 ? dnnl_nChw8c : dnnl_nhwc
    var layouts = [(values[input].md, DNNL.desc(phaseDims, tag))]
    layouts.append((DNNL.desc(dims(input), dnnl_nhwc), DNNL.desc(phaseDims, dnnl_nhwc)))
    var forward: DNNLPrimitive?
    var lastError: Error?
    for (src, dst) in layouts {
      do {
        var desc = try DNNL.convolutionForward(
          dnnl_forward_inference, source: src, weights: DNNL.any([4 * channels, inputChannels, 1, 1]),
          bias: DNNL.desc([4 * channels], dnnl_x), destination: dst, strides: [1, 1], padding: [0, 0], what)
        let primitive = try DNNLPrimitive(op: &desc, context: ctx, what: what)
        if forward == nil || !primitive.isReference { forward = primitive }
        if !primitive.isReference { break }
      } catch {
        lastError = error
      }
    }
    guard let forward else { throw lastError ?? TrainingError("oneDNN: no 1×1 convolution implementation") }
    hot(forward, "\(what) \(output) (\(inputChannels)→\(channels), \(size)→\(shapes[output].extent[0])) forward")
    let source = try value(input, as: forward.md(dnnl_query_src_md))
    let out = try addTensor(forward.md(dnnl_query_dst_md))
    let specs = graph.parameters
    let weights = try DNNLParameter(
      spec: specs[parameter], native: forward.md(dnnl_query_weights_md), pointwiseUpConvolution: true, training: false,
      context: ctx)
    let bias = try DNNLParameter(
      spec: specs[parameter + 1], native: DNNL.desc([4 * channels], dnnl_x), pointwiseUpConvolution: true,
      training: false, context: ctx)
    params[parameter] = weights
    params[parameter + 1] = bias
    forwardSteps.append {
      forward.execute(
        [
          (DNNL_ARG_SRC, source.memory), (DNNL_ARG_WEIGHTS, weights.value.memory), (DNNL_ARG_BIAS, bias.value.memory),
          (DNNL_ARG_DST, out.memory),
        ], context: ctx)
    }
    pointwiseUpConvolutions.insert(output)
  }

  /// The strides, in elements, of a [N, C, H, W] layout with channel c as
  /// (c / group, c % group): plain layouts, and layouts that block channels
  /// by `group`; nil for any other.
  private static func groupedStrides(_ md: dnnl_memory_desc_t, group: Int)
    -> (n: Int, group: Int, inner: Int, h: Int, w: Int)?
  {
    guard md.format_kind == dnnl_blocked else { return nil }
    var blocking = md.format_desc.blocking
    let strides = withUnsafeBytes(of: &blocking.strides) { bytes in
      (0..<4).map { Int(bytes.load(fromByteOffset: $0 * MemoryLayout<dnnl_dim_t>.stride, as: dnnl_dim_t.self)) }
    }
    switch blocking.inner_nblks {
    case 0:
      return (strides[0], group * strides[1], strides[1], strides[2], strides[3])
    case 1:
      let block = withUnsafeBytes(of: &blocking.inner_blks) { $0.load(as: dnnl_dim_t.self) }
      let index = withUnsafeBytes(of: &blocking.inner_idxs) { $0.load(as: dnnl_dim_t.self) }
      guard index == 1, block == group else { return nil }
      return (strides[0], strides[1], 1, strides[2], strides[3])
    default:
      return nil
    }
  }

  /// The copy of a pointwise up-convolution's tensor `up` (N × 4·O × s × s)
  /// into channels `offset`… of `target` (N × C × 2s × 2s), whose layout
  /// blocks channels by `block` (1: none): both seen as
  /// N × O/g × s × 2 × s × 2 × g, (n, channel group, y, dy, x, dx, channel in group).
  func interleave(_ up: Int, into target: DNNLBuffer, block: Int, channelOffset offset: Int) throws -> () -> Void {
    let ctx = context
    let s = shapes[up].extent[0] / 2
    let o = shapes[up].channels
    let g = block
    precondition(
      o % g == 0 && offset % g == 0, "channel block \(g) splits the up-convolution's \(o) channels at \(offset)")
    guard let p = Self.groupedStrides(values[up].md, group: g), let t = Self.groupedStrides(target.md, group: g) else {
      throw TrainingError("oneDNN: an up-convolution's layouts that a strided copy cannot interleave")
    }
    let dims = [batch, o / g, s, 2, s, 2, g]
    let fromMD = try DNNL.strided(
      dims, strides: [p.n, p.group, p.h, 2 * (o / g) * p.group, p.w, (o / g) * p.group, p.inner])
    var toMD = try DNNL.strided(dims, strides: [t.n, t.group, 2 * t.h, t.h, 2 * t.w, t.w, t.inner])
    toMD.offset0 = dnnl_dim_t(offset / g * t.group)
    let from = try values[up].view(fromMD, context: ctx)
    let to = try target.view(toMD, context: ctx)
    let copy = try makeReorder(from: fromMD, to: toMD, context: ctx)
    hot(copy, "up-convolution \(up) interleaving")
    return { copy.execute([(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)], context: ctx) }
  }
}
