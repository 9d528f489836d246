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
    guard let version = DNNL.version else { return "oneDNN" }
    return "oneDNN \(version) (\(isa), \(threads) threads)"
  }

  /// The instruction set of oneDNN's kernels here ("AVX512_CORE", "AVX2",
  /// …): the machine's best, or lower when `ONEDNN_MAX_CPU_ISA` caps it.
  public var isa: String { DNNL.effectiveISA }

  public func compile(_ graph: Graph, batch: Int, input: [Int], training: Bool) throws -> any CompiledGraph {
    try DNNLGraph(graph, batch: batch, input: input, training: training, gemmWeightGradients: usesGEMMWeightGradients)
  }
}
