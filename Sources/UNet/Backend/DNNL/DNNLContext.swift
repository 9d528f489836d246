import CDNNL

/// The CPU engine and one in-order stream.
final class DNNLContext: @unchecked Sendable {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t
  /// The bytes of the buffers with bytes of their own that exist now.
  var ownedBytes = 0

  init() throws {
    let engine = try DNNL.cpuEngine()
    stream = try DNNL.stream(engine)
    self.engine = engine
  }

  deinit {
    DNNL.destroy(stream: stream)
    DNNL.destroy(engine: engine)
  }
}
