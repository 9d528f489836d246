/// Where the network runs. The boundary is deliberately narrow: a backend
/// compiles a `Graph` for one batch and input size and then exchanges only
/// plain arrays with the model code (input, logits, their gradient, and
/// parameters in PyTorch's layouts), so that another backend (a GPU one) can
/// be added without touching the model, loss, trainer or checkpoints.
public protocol Backend: Sendable {
  /// A short name for logs, such as "oneDNN 2.6.0 (AVX2, 16 threads)".
  var name: String { get }
  /// The instruction set its kernels run, such as "AVX512_CORE" or "AVX2"
  /// (a GPU backend's: its device architecture).
  var isa: String { get }
  /// The CPU threads it computes on.
  var threads: Int { get }
  /// Compiles `graph` for inputs of `batch`×C×`input` (the spatial extent,
  /// slowest axis first: H, W or D, H, W). With `training` false no
  /// gradient buffers are made and dropout is off.
  func compile(_ graph: Graph, batch: Int, input: [Int], training: Bool) throws -> any CompiledGraph
}

extension Backend {
  /// Compiles `graph` for square 2-D inputs of `batch`×C×`inputSize`×`inputSize`.
  public func compile(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws -> any CompiledGraph {
    try compile(graph, batch: batch, input: Array(repeating: inputSize, count: graph.dimensions), training: training)
  }
}

/// One primitive that runs in every step of a compiled graph, with the
/// implementation the backend chose for it.
public struct Kernel: Sendable, Hashable, Codable {
  /// What it computes, such as "convolution 1 (1→64, 572→570) weight gradient".
  public var operation: String
  /// The backend's name for the implementation, such as "jit:avx2".
  public var implementation: String
  /// Whether the implementation is one of the backend's slow reference
  /// ones (plain loops, such as oneDNN's "ref:…" kernels), as the backend
  /// that chose it says.
  public var isReference: Bool

  public init(operation: String, implementation: String, isReference: Bool) {
    self.operation = operation
    self.implementation = implementation
    self.isReference = isReference
  }
}

/// A graph ready to run. Parameters, their gradients and the optimiser's
/// state live in the backend, in whatever layout it prefers; they cross the
/// boundary in the `ParameterSpec` shapes (PyTorch's layouts), row-major.
///
/// The optimiser runs in the backend too (`update`): its state is a set of
/// named slots, one array per parameter each (SGD's `momentum`; Adam's two
/// moments), which a checkpoint stores by name.
public protocol CompiledGraph: AnyObject {
  var batch: Int { get }
  /// The input's spatial extent, slowest axis first.
  var inputExtent: [Int] { get }
  /// Output channels (K classes) and extent.
  var outputShape: Graph.Shape { get }
  /// The primitives that run in every step and their implementations.
  var kernels: [Kernel] { get }

  func setParameters(_ values: [[Float]])
  func parameters() -> [[Float]]
  /// Parameter `index` alone, as `parameters()[index]`: a copy of one
  /// tensor rather than of all of them (checkpoints are written this way).
  func parameter(_ index: Int) -> [Float]
  /// Calls `body` with parameter `index` as `parameter(index)` gives it,
  /// in memory the graph lends for the call instead of a new array: a
  /// checkpoint's tensors are written this way. The memory may be the
  /// activations' (idle between steps): call it between steps only, never
  /// between a `forward` and its `backward`, and do not keep the pointer.
  func withParameter<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R
  /// Replaces parameter `index` alone, as `setParameters` does all of them.
  func setParameter(_ index: Int, _ values: [Float])
  /// Replaces every parameter i with `parameter(i)`, which may be called on
  /// several threads at once.
  func loadParameters(concurrently parameter: (Int) -> [Float])

  /// The running statistics of the normalisation layers (`.empty` without
  /// them): every `forward` of a training graph updates them; an inference
  /// graph normalises with them.
  func runningStatistics() -> RunningStatistics
  /// Replaces the running statistics, as a resumed run or a trained model does.
  /// - Throws: when they do not match `Graph.statistics`.
  func setRunningStatistics(_ statistics: RunningStatistics) throws

  /// The optimiser state: slot name → one array per parameter, in
  /// `Graph.parameters` order and shapes. Empty before the first `update`
  /// (or `setOptimizerState`) and in inference graphs.
  func optimizerState() -> [String: [[Float]]]
  /// Replaces the optimiser state, as a resumed run does.
  /// - Throws: when the graph is not a training graph or a slot's arrays do
  ///   not match the parameters.
  func setOptimizerState(_ slots: [String: [[Float]]]) throws
  /// The slots that `optimizerState()` would return.
  var optimizerSlots: Set<String> { get }
  /// One array of the optimiser state alone, as
  /// `optimizerState()[slot]![index]`.
  /// - Precondition: `optimizerSlots` contains `slot`.
  func optimizerState(_ slot: String, parameter index: Int) -> [Float]
  /// Calls `body` with `optimizerState(slot, parameter: index)` in memory
  /// the graph lends, as `withParameter` does.
  /// - Precondition: `optimizerSlots` contains `slot`.
  func withOptimizerState<R>(
    _ slot: String, parameter index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R
  /// Replaces one array of the optimiser state, making the slot (zero for
  /// the other parameters) when it does not exist yet; `setOptimizerState`
  /// one array at a time.
  /// - Throws: as `setOptimizerState`.
  func setOptimizerState(_ slot: String, parameter index: Int, _ values: [Float]) throws
  /// One step of `optimizer` with the gradients of the last `backward`,
  /// creating its slots (zero) on first use. `step` counts the updates from
  /// 1 (for optimisers that correct their moments' bias, such as Adam).
  func update(_ optimizer: Optimizer, learningRate: Float, step: Int) throws

  /// The gradients of the last `backward`, for tests of a backend and
  /// `unet bench --gradients` (not for training code: `update` uses them).
  @_spi(Diagnostics) func gradients() -> [[Float]]

  /// The bytes of the memory a step works in besides the parameters, their
  /// gradients and the optimiser's slots (for `unet bench` and the memory
  /// benchmark): the arena of the activations and their gradients, the
  /// weight gradients' scratch, the other buffers the graph keeps (weights
  /// in the layouts of other passes, pooling workspaces, dropout masks),
  /// and the library's own scratch for its largest primitive.
  @_spi(Diagnostics) var workspaceBytes: (arena: Int, scratch: Int, buffers: Int, library: Int) { get }

  /// Runs the network on N×C×`inputExtent` plain input; returns
  /// N×K×`outputShape.extent` logits.
  /// `dropoutSeed` draws the dropout mask (training graphs only).
  func forward(_ input: [Float], dropoutSeed: UInt64) throws -> [Float]
  /// Back-propagates the gradient of the loss with respect to the logits of
  /// the last `forward`, leaving the parameter gradients in the backend.
  func backward(_ logitGradient: [Float]) throws
}
