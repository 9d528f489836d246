import CDNNL

/// The CPU engine and one in-order stream.
final class DNNLContext: @unchecked Sendable {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t
  /// The bytes of the buffers with bytes of their own that exist now.
  var ownedBytes = 0

  /// The context `stream` was made beside, whose engine this one uses.
  private let sharing: DNNLContext?

  init() throws {
    let engine = try DNNL.cpuEngine()
    stream = try DNNL.stream(engine)
    self.engine = engine
    sharing = nil
  }

  /// A second stream on `other`'s engine, for another thread to run its
  /// primitives on.
  init(streamBeside other: DNNLContext) throws {
    engine = other.engine
    stream = try DNNL.stream(other.engine)
    sharing = other
  }

  deinit {
    DNNL.destroy(stream: stream)
    if sharing == nil { DNNL.destroy(engine: engine) }
  }
}
