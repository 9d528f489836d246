import CImageSupport

/// Runs one `CImageSupport` call with a message buffer; a failure status
/// becomes a ``RasterError`` naming `path`, its reason prefixed by `context`
/// ("PNG", "TIFF page 2") and its message passed through `rewrite`.
func cisCall(
  _ path: String, context: String, rewrite: (String) -> String = { $0 },
  _ body: (UnsafeMutablePointer<CChar>, Int) -> CISStatus
) throws {
  var buffer = [CChar](repeating: 0, count: Int(CIS_MESSAGE_CAPACITY))
  let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
  if status == .success || status == .endOfPages { return }
  let message = rewrite(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
  switch status {
  case .truncated: throw RasterError(.truncated, path: path, "\(context) truncated: \(message)")
  case .corrupt: throw RasterError(.corrupt, path: path, "\(context) corrupt: \(message)")
  case .unsupported: throw RasterError(.unsupported, path: path, "\(context) not supported: \(message)")
  case .tooLarge: throw RasterError(.tooLarge, path: path, "\(context) too large: \(message)")
  case .IO, .noMemory: throw RasterError(.io, path: path, "\(context): \(message)")
  case .success, .endOfPages: return
  }
}
