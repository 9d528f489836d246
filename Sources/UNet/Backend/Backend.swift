/// Where the network runs. The boundary is deliberately narrow: a backend
/// compiles a `Graph` for one batch and input size and then exchanges only
/// plain arrays with the model code (input, logits, their gradient, and
/// parameters in PyTorch's layouts), so that another backend (a GPU one) can
/// be added without touching the model, loss, trainer or checkpoints.
public protocol Backend: Sendable {
  /// A short name for logs, such as "oneDNN 2.6 (jit:avx512_core)".
  var name: String { get }
  /// Compiles `graph` for inputs of `batch`×C×`inputSize`×`inputSize`.
  /// With `training` false no gradient buffers are made and dropout is off.
  func compile(_ graph: Graph, batch: Int, inputSize: Int, training: Bool) throws -> any CompiledGraph
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
  var inputSize: Int { get }
  /// Output (channels, size): K classes at the output size.
  var outputShape: (channels: Int, size: Int) { get }

  func setParameters(_ values: [[Float]])
  func parameters() -> [[Float]]

  /// The optimiser state: slot name → one array per parameter, in
  /// `Graph.parameters` order and shapes. Empty before the first `update`
  /// (or `setOptimizerState`) and in inference graphs.
  func optimizerState() -> [String: [[Float]]]
  /// Replaces the optimiser state, as a resumed run does.
  /// - Throws: when the graph is not a training graph or a slot's arrays do
  ///   not match the parameters.
  func setOptimizerState(_ slots: [String: [[Float]]]) throws
  /// One step of `optimizer` with the gradients of the last `backward`,
  /// creating its slots (zero) on first use. `step` counts the updates from
  /// 1 (for optimisers that correct their moments' bias, such as Adam).
  func update(_ optimizer: Optimizer, learningRate: Float, step: Int) throws

  /// The gradients of the last `backward`, for tests of a backend.
  @_spi(Testing) func gradients() -> [[Float]]

  /// Runs the network on N×C×S×S plain input; returns N×K×O×O logits.
  /// `dropoutSeed` draws the dropout mask (training graphs only).
  func forward(_ input: [Float], dropoutSeed: UInt64) throws -> [Float]
  /// Back-propagates the gradient of the loss with respect to the logits of
  /// the last `forward`, leaving the parameter gradients in the backend.
  func backward(_ logitGradient: [Float]) throws
}
