import CDNNL

/// The layers without parameters: max pooling, cropping and concatenation,
/// and dropout.
extension DNNLGraph {
  func buildPool(input: Int, output: Int, window: [Int]) throws -> [() -> Void] {
    let ctx = context
    let two = window
    let zero = window.map { _ in 0 }
    var desc = try DNNL.poolingForward(
      training ? dnnl_forward_training : dnnl_forward_inference, dnnl_pooling_max, source: values[input].md,
      destination: DNNL.any(dims(output)), strides: two, kernel: two, padding: zero, "max pooling")
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
    var bdesc = try DNNL.poolingBackward(
      dnnl_pooling_max, sourceGradient: source.md, destinationGradient: out.md, strides: two, kernel: two, padding: zero,
      "max pooling backward")
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
  func buildCropConcat(skip: Int, up: Int, output: Int) throws -> ([() -> Void], [() -> Void]) {
    let ctx = context
    let size = shapes[up].extent
    let offset = zip(shapes[skip].extent, size).map { ($0 - $1) / 2 }
    let skipChannels = shapes[skip].channels
    let upChannels = shapes[up].channels
    let cropDims = [batch, skipChannels] + size
    let cropMD = try DNNL.submemory(values[skip].md, dims: cropDims, offsets: [0, 0] + offset)
    let crop = try values[skip].view(cropMD, context: ctx)
    // oneDNN's concatenation of a cropped view is its reference
    // implementation (a reorder per source). The same two reorders, made
    // here, are JIT ones: the cropped skip tensor and the up tensor are copied
    // into channel ranges of the output, whose layout oneDNN's concatenation
    // would choose, or a plain one when the split would cut a block.
    var outMD = DNNL.desc(dims(output), plainTag)
    var block = 1
    if !training && graph.dimensions == 2 {
      (outMD, block) = concatenationLayout(skip: skip, up: up, output: output)
    } else if let pd = try? DNNL.concatDescriptor([cropMD, values[up].md], axis: 1, engine: ctx.engine) {
      outMD = DNNL.md(pd, dnnl_query_dst_md, 0)
      DNNL.destroy(primitiveDescriptor: pd)
    }
    let upDims = [batch, upChannels] + size
    var upOffsets = zeroOffsets
    upOffsets[1] = skipChannels
    if (try? DNNL.submemory(outMD, dims: cropDims, offsets: zeroOffsets)) == nil
      || (try? DNNL.submemory(outMD, dims: upDims, offsets: upOffsets)) == nil
    {
      outMD = DNNL.desc(dims(output), plainTag)
    }
    let out = try addTensor(outMD)
    let skipTargetMD = try DNNL.submemory(outMD, dims: cropDims, offsets: zeroOffsets)
    let upTargetMD = try DNNL.submemory(outMD, dims: upDims, offsets: upOffsets)
    let skipTarget = try out.view(skipTargetMD, context: ctx)
    let upTarget = try out.view(upTargetMD, context: ctx)
    let copySkip = try makeReorder(from: cropMD, to: skipTargetMD, context: ctx)
    hot(copySkip, "concatenation \(output) skip")
    let copyUp: () -> Void
    if pointwiseUpConvolutions.contains(up) {
      copyUp = try interleave(up, into: out, block: block, channelOffset: skipChannels)
    } else {
      let reorder = try makeReorder(from: values[up].md, to: upTargetMD, context: ctx)
      hot(reorder, "concatenation \(output) up")
      let upBuffer = values[up]
      copyUp = { reorder.execute([(DNNL_ARG_FROM, upBuffer.memory), (DNNL_ARG_TO, upTarget)], context: ctx) }
    }
    forwardSteps.append {
      copySkip.execute([(DNNL_ARG_FROM, crop), (DNNL_ARG_TO, skipTarget)], context: ctx)
      copyUp()
    }
    guard training else { return ([], []) }

    // Backward: split the output gradient by channels, through a plain copy
    // when a split would cut a block.
    let diffOut = diffs[output]!
    var splitSource = diffOut
    var steps: [() -> Void] = []
    var skipPartMD = try? DNNL.submemory(out.md, dims: cropDims, offsets: zeroOffsets)
    var upPartMD = try? DNNL.submemory(out.md, dims: upDims, offsets: upOffsets)
    if skipPartMD == nil || upPartMD == nil {
      let plainMD = DNNL.desc(dims(output), plainTag)
      let plain = try DNNLBuffer(plainMD, context: ctx)
      let reorder = try makeReorder(from: out.md, to: plainMD, context: ctx)
      hot(reorder, "concatenation \(output) gradient layout")
      layoutConversions += 1
      steps.append { reorder.execute([(DNNL_ARG_FROM, diffOut.memory), (DNNL_ARG_TO, plain.memory)], context: ctx) }
      splitSource = plain
      skipPartMD = try DNNL.submemory(plainMD, dims: cropDims, offsets: zeroOffsets)
      upPartMD = try DNNL.submemory(plainMD, dims: upDims, offsets: upOffsets)
    }
    let upPart = try splitSource.view(upPartMD!, context: ctx)
    let toUp = try makeReorder(from: upPartMD!, to: diffs[up]!.md, context: ctx)
    let diffUp = diffs[up]!
    hot(toUp, "concatenation \(output) up gradient")
    steps.append { toUp.execute([(DNNL_ARG_FROM, upPart), (DNNL_ARG_TO, diffUp.memory)], context: ctx) }

    let skipPart = try splitSource.view(skipPartMD!, context: ctx)
    let diffSkip = diffs[skip]!
    let skipCropMD = try DNNL.submemory(diffSkip.md, dims: cropDims, offsets: [0, 0] + offset)
    let skipCrop = try diffSkip.view(skipCropMD, context: ctx)
    let accumulate = try makeReorder(from: skipPartMD!, to: skipCropMD, accumulate: true, context: ctx)
    hot(accumulate, "concatenation \(output) skip gradient")
    let region: [() -> Void] = [{ accumulate.execute([(DNNL_ARG_FROM, skipPart), (DNNL_ARG_TO, skipCrop)], context: ctx) }]
    return (steps, region)
  }

  func buildDropout(input: Int, output: Int, probability: Double) throws -> [() -> Void] {
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
    let plainMD = DNNL.desc(dims(input), plainTag)
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
}
