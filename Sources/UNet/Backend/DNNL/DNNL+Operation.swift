import CDNNL

/// Operation descriptors (what a primitive computes, on which layouts), for
/// `primitiveDescriptor`, and oneDNN's sgemm. Convolutions are direct ones,
/// padded alike on both sides; a zero descriptor as `bias` means none.
extension DNNL {
  // MARK: Convolution

  /// - Parameter algorithm: `dnnl_convolution_direct`, or
  ///   `dnnl_convolution_winograd` (3×3, stride 1, forward only).
  static func convolutionForward(
    _ kind: dnnl_prop_kind_t, algorithm: dnnl_alg_kind_t = dnnl_convolution_direct, source: dnnl_memory_desc_t,
    weights: dnnl_memory_desc_t, bias: dnnl_memory_desc_t, destination: dnnl_memory_desc_t, strides: [Int],
    padding: [Int], _ what: String
  ) throws -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var (source, weights, bias, destination) = (source, weights, bias, destination)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_convolution_forward_desc_init(
        &desc, kind, algorithm, &source, &weights, &bias, &destination, s, p, p),
      what)
    return desc
  }

  static func convolutionBackwardWeights(
    source: dnnl_memory_desc_t, weightGradient: dnnl_memory_desc_t, biasGradient: dnnl_memory_desc_t,
    destinationGradient: dnnl_memory_desc_t, strides: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var (source, weights, bias, destination) = (source, weightGradient, biasGradient, destinationGradient)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_convolution_backward_weights_desc_init(
        &desc, dnnl_convolution_direct, &source, &weights, &bias, &destination, s, p, p),
      what)
    return desc
  }

  static func convolutionBackwardData(
    sourceGradient: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destinationGradient: dnnl_memory_desc_t,
    strides: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_convolution_desc_t {
    var desc = dnnl_convolution_desc_t()
    var (source, weights, destination) = (sourceGradient, weights, destinationGradient)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_convolution_backward_data_desc_init(&desc, dnnl_convolution_direct, &source, &weights, &destination, s, p, p),
      what)
    return desc
  }

  // MARK: Deconvolution

  static func deconvolutionForward(
    _ kind: dnnl_prop_kind_t, source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, bias: dnnl_memory_desc_t,
    destination: dnnl_memory_desc_t, strides: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_deconvolution_desc_t {
    var desc = dnnl_deconvolution_desc_t()
    var (source, weights, bias, destination) = (source, weights, bias, destination)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_deconvolution_forward_desc_init(
        &desc, kind, dnnl_deconvolution_direct, &source, &weights, &bias, &destination, s, p, p),
      what)
    return desc
  }

  static func deconvolutionBackwardWeights(
    source: dnnl_memory_desc_t, weightGradient: dnnl_memory_desc_t, biasGradient: dnnl_memory_desc_t,
    destinationGradient: dnnl_memory_desc_t, strides: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_deconvolution_desc_t {
    var desc = dnnl_deconvolution_desc_t()
    var (source, weights, bias, destination) = (source, weightGradient, biasGradient, destinationGradient)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_deconvolution_backward_weights_desc_init(
        &desc, dnnl_deconvolution_direct, &source, &weights, &bias, &destination, s, p, p),
      what)
    return desc
  }

  static func deconvolutionBackwardData(
    sourceGradient: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destinationGradient: dnnl_memory_desc_t,
    strides: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_deconvolution_desc_t {
    var desc = dnnl_deconvolution_desc_t()
    var (source, weights, destination) = (sourceGradient, weights, destinationGradient)
    let (s, p) = (dims(strides), dims(padding))
    try check(
      dnnl_deconvolution_backward_data_desc_init(
        &desc, dnnl_deconvolution_direct, &source, &weights, &destination, s, p, p),
      what)
    return desc
  }

  // MARK: Element-wise, pooling, batch normalisation

  /// An element-wise operation (`algorithm`, with its α and β) on `data`.
  static func eltwiseForward(
    _ kind: dnnl_prop_kind_t, _ algorithm: dnnl_alg_kind_t, data: dnnl_memory_desc_t, alpha: Float = 0, beta: Float = 0,
    _ what: String
  ) throws -> dnnl_eltwise_desc_t {
    var desc = dnnl_eltwise_desc_t()
    var data = data
    try check(dnnl_eltwise_forward_desc_init(&desc, kind, algorithm, &data, alpha, beta), what)
    return desc
  }

  static func eltwiseBackward(
    _ algorithm: dnnl_alg_kind_t, gradient: dnnl_memory_desc_t, data: dnnl_memory_desc_t, alpha: Float = 0,
    beta: Float = 0, _ what: String
  ) throws -> dnnl_eltwise_desc_t {
    var desc = dnnl_eltwise_desc_t()
    var (gradient, data) = (gradient, data)
    try check(dnnl_eltwise_backward_desc_init(&desc, algorithm, &gradient, &data, alpha, beta), what)
    return desc
  }

  static func poolingForward(
    _ kind: dnnl_prop_kind_t, _ algorithm: dnnl_alg_kind_t, source: dnnl_memory_desc_t, destination: dnnl_memory_desc_t,
    strides: [Int], kernel: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_pooling_desc_t {
    var desc = dnnl_pooling_desc_t()
    var (source, destination) = (source, destination)
    let (s, k, p) = (dims(strides), dims(kernel), dims(padding))
    try check(dnnl_pooling_forward_desc_init(&desc, kind, algorithm, &source, &destination, s, k, p, p), what)
    return desc
  }

  static func poolingBackward(
    _ algorithm: dnnl_alg_kind_t, sourceGradient: dnnl_memory_desc_t, destinationGradient: dnnl_memory_desc_t,
    strides: [Int], kernel: [Int], padding: [Int], _ what: String
  ) throws -> dnnl_pooling_desc_t {
    var desc = dnnl_pooling_desc_t()
    var (source, destination) = (sourceGradient, destinationGradient)
    let (s, k, p) = (dims(strides), dims(kernel), dims(padding))
    try check(dnnl_pooling_backward_desc_init(&desc, algorithm, &source, &destination, s, k, p, p), what)
    return desc
  }

  /// Batch normalisation of `data` with ε = `epsilon`; `flags` are
  /// `dnnl_normalization_flags_t` values or-ed together.
  static func batchNormalizationForward(
    _ kind: dnnl_prop_kind_t, data: dnnl_memory_desc_t, epsilon: Float, flags: UInt32, _ what: String
  ) throws -> dnnl_batch_normalization_desc_t {
    var desc = dnnl_batch_normalization_desc_t()
    var data = data
    try check(dnnl_batch_normalization_forward_desc_init(&desc, kind, &data, epsilon, flags), what)
    return desc
  }

  static func batchNormalizationBackward(
    _ kind: dnnl_prop_kind_t, gradient: dnnl_memory_desc_t, data: dnnl_memory_desc_t, epsilon: Float, flags: UInt32,
    _ what: String
  ) throws -> dnnl_batch_normalization_desc_t {
    var desc = dnnl_batch_normalization_desc_t()
    var (gradient, data) = (gradient, data)
    try check(dnnl_batch_normalization_backward_desc_init(&desc, kind, &gradient, &data, epsilon, flags), what)
    return desc
  }

  // MARK: Matrix products

  /// C ← α·op(A)·op(B) + β·C with row-major matrices: op(A) is M × K, op(B)
  /// K × N, C M × N; op transposes when asked; `lda`, `ldb` and `ldc` are
  /// the row strides as stored.
  static func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let (t, nt) = (CChar(UInt8(ascii: "T")), CChar(UInt8(ascii: "N")))
    let status = dnnl_sgemm(
      transposeA ? t : nt, transposeB ? t : nt, dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda),
      b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
    precondition(status == dnnl_success, "oneDNN sgemm failed (status \(status.rawValue))")
  }

  private static func dims(_ values: [Int]) -> [dnnl_dim_t] { values.map { dnnl_dim_t($0) } }
}
