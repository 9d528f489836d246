/// The compute backends the network can run on: the one place that names
/// them. A new backend is a type conforming to `Backend` and a case here;
/// `unet train --backend` and `unet predict --backend` choose among them.
public enum BackendChoice: String, CaseIterable, Sendable {
  /// oneDNN on the CPU cores (`DNNLBackend`).
  case dnnl

  /// The backend that runs the network unless another is chosen.
  public static let `default` = BackendChoice.dnnl

  /// The backend, on `threads` threads.
  /// - Parameters:
  ///   - threads: the CPU threads it computes on; nil: all cores.
  ///   - weightGradient: how oneDNN computes the weight gradients of 3×3
  ///     convolutions.
  public func make(threads: Int? = nil, weightGradient: DNNLBackend.WeightGradient = .automatic) -> any Backend {
    switch self {
    case .dnnl: DNNLBackend(threads: threads, weightGradient: weightGradient)
    }
  }
}
