import CDNNL

/// The weight gradients of 3×3 convolutions as oneDNN sgemm products
/// (`DNNLBackend.WeightGradient.gemm`).
extension DNNLGraph {
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
  func gemmWeightGradient(
    source: DNNLBuffer, diffOut: DNNLBuffer, input: Int, output: Int, weightGradient: DNNLBuffer,
    biasGradient: DNNLBuffer?, label: String
  ) throws -> [() -> Void] {
    let ctx = context
    let (n, co, oh) = (batch, shapes[output].channels, shapes[output].extent[1])
    let (ci, h) = (shapes[input].channels, shapes[input].extent[1])
    precondition(
      h == oh + 2 && shapes[input].extent == [h, h], "a 3×3 valid convolution's square input is its output plus 2")
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
    kernels.append(
      Kernel(
        operation: "\(label) weight gradient", implementation: "gemm:sgemm (9 products per image)", isReference: false))
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
      for b in 0..<n {
        let db = ds + b * oh * h * co, xb = xs + b * h * h * ci
        let beta: Float = b == 0 ? 0 : 1
        for kh in 0..<3 {
          for kw in 0..<3 {
            DNNL.sgemm(
              transposeA: true, transposeB: false, m: co, n: ci, k: flat, alpha: 1, a: db, lda: co,
              b: xb + (kh * h + kw) * ci, ldb: ci, beta: beta, c: cs + (kh * 3 + kw) * co * ci, ldc: ci)
          }
        }
        if let biasGradient {
          DNNL.sgemm(
            transposeA: true, transposeB: false, m: co, n: 1, k: flat, alpha: 1, a: db, lda: co, b: scratch.ones!, ldb: 1,
            beta: beta, c: biasGradient.floats.baseAddress!, ldc: 1)
        }
      }
      toWeights.execute([(DNNL_ARG_FROM, c.memory), (DNNL_ARG_TO, weightGradient.memory)], context: ctx)
    }]
  }
}
