import CDNNL

/// Inference's 2×2 stride-2 up-convolution as a 1×1 convolution and a
/// strided copy. Each output pixel (2y + dy, 2x + dx) depends on input pixel
/// (y, x) alone, through kernel position (dy, dx): a 1×1 convolution with
/// 4·O output channels computes all four positions at once, and the copy
/// that interleaves them writes straight into the concatenation that reads
/// the up-convolution. oneDNN's deconvolution runs as a convolution's input
/// gradient on blocked layouts (two reorders around it); the 1×1
/// convolution is a matrix product on the channels-last layout of the
/// other convolutions.
extension DNNLGraph {
  /// Whether the up-convolution writing tensor `output` can run as a 1×1
  /// convolution: in inference, when a concatenation is its one reader.
  func runsPointwise(upConvolution output: Int) -> Bool {
    guard !training else { return false }
    let readers = graph.operations.filter { $0.inputs.contains(output) }
    guard readers.count == 1, case .cropConcat(_, let up) = readers[0] else { return false }
    return up == output
  }

  /// Builds the 1×1 convolution of the up-convolution `input` → `output`;
  /// tensor `output` holds its 4·O channels (kernel position major) at the
  /// input's size, which `buildCropConcat` interleaves (`interleave`).
  func buildPointwiseUpConvolution(input: Int, output: Int, parameter: Int, channels: Int) throws {
    let ctx = context
    let size = shapes[input].size
    let inputChannels = shapes[input].channels
    let what = "up-convolution"
    var desc = try DNNL.convolutionForward(
      dnnl_forward_inference, source: DNNL.desc([batch, inputChannels, size, size], dnnl_nhwc),
      weights: DNNL.any([4 * channels, inputChannels, 1, 1]), bias: DNNL.desc([4 * channels], dnnl_x),
      destination: DNNL.desc([batch, 4 * channels, size, size], dnnl_nhwc), strides: [1, 1], padding: [0, 0], what)
    let forward = try DNNLPrimitive(op: &desc, context: ctx, what: what)
    hot(forward, "\(what) \(output) (\(inputChannels)→\(channels), \(size)→\(shapes[output].size)) forward")
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

  /// The copy of a pointwise up-convolution's tensor `up` (N × 4·O × s × s,
  /// channels last) into channels `offset`… of `target`, channels last
  /// (N × `c` × 2s × 2s): both as N × s × 2 × s × 2 × O, (n, y, dy, x, dx, c).
  func interleave(_ up: Int, into target: DNNLBuffer, channels c: Int, channelOffset offset: Int) throws -> () -> Void {
    let ctx = context
    let s = shapes[up].size / 2
    let o = shapes[up].channels
    let dims = [batch, s, 2, s, 2, o]
    let fromMD = try DNNL.strided(dims, strides: [s * s * 4 * o, s * 4 * o, 2 * o, 4 * o, o, 1])
    var toMD = try DNNL.strided(dims, strides: [4 * s * s * c, 4 * s * c, 2 * s * c, 2 * c, c, 1])
    toMD.offset0 = dnnl_dim_t(offset)
    let from = try values[up].view(fromMD, context: ctx)
    let to = try target.view(toMD, context: ctx)
    let copy = try makeReorder(from: fromMD, to: toMD, context: ctx)
    hot(copy, "up-convolution \(up) interleaving")
    return { copy.execute([(DNNL_ARG_FROM, from), (DNNL_ARG_TO, to)], context: ctx) }
  }
}
