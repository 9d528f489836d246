import CDNNL

/// The CPU engine and one in-order stream.
final class DNNLContext: @unchecked Sendable {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t

  init() throws {
    var engine: dnnl_engine_t?
    try DNNL.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
    var stream: dnnl_stream_t?
    try DNNL.check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
    self.engine = engine!
    self.stream = stream!
  }

  deinit {
    dnnl_stream_destroy(stream)
    dnnl_engine_destroy(engine)
  }
}
