import CDNNL

/// The engine and stream, primitive attributes, primitive descriptors (what
/// oneDNN chose for an operation: its implementation and layouts) and the
/// primitives made from them.
extension DNNL {
  // MARK: Engine and stream

  static func cpuEngine() throws -> dnnl_engine_t {
    var engine: dnnl_engine_t?
    try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
    return engine!
  }

  /// An in-order stream on `engine`.
  static func stream(_ engine: dnnl_engine_t) throws -> dnnl_stream_t {
    var stream: dnnl_stream_t?
    try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
    return stream!
  }

  /// Waits until what runs on `stream` is done.
  static func wait(_ stream: dnnl_stream_t) {
    let status = dnnl_stream_wait(stream)
    precondition(status == dnnl_success, "oneDNN: waiting for a stream failed (status \(status.rawValue))")
  }

  static func destroy(engine: dnnl_engine_t) {
    let status = dnnl_engine_destroy(engine)
    precondition(status == dnnl_success, "oneDNN: destroying the engine failed (status \(status.rawValue))")
  }

  static func destroy(stream: dnnl_stream_t) {
    let status = dnnl_stream_destroy(stream)
    precondition(status == dnnl_success, "oneDNN: destroying a stream failed (status \(status.rawValue))")
  }

  // MARK: Attributes

  /// An operation a primitive applies to its result on the way out.
  enum PostOp {
    /// Adds the result to what the destination holds.
    case sum
    /// max(0, x).
    case relu
  }

  /// Empty primitive attributes, for `destroy(attributes:)` to release.
  static func attributes(_ what: String) throws -> dnnl_primitive_attr_t {
    var attributes: dnnl_primitive_attr_t?
    try check(dnnl_primitive_attr_create(&attributes), what)
    return attributes!
  }

  /// Gives `attributes` the one post-op `postOp`.
  static func setPostOp(_ postOp: PostOp, on attributes: dnnl_primitive_attr_t) throws {
    var ops: dnnl_post_ops_t?
    try check(dnnl_post_ops_create(&ops), "post-ops")
    defer {
      let status = dnnl_post_ops_destroy(ops)
      precondition(status == dnnl_success, "oneDNN: destroying post-ops failed (status \(status.rawValue))")
    }
    switch postOp {
    case .sum: try check(dnnl_post_ops_append_sum(ops, 1), "sum post-op")
    case .relu: try check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "ReLU post-op")
    }
    try check(dnnl_primitive_attr_set_post_ops(attributes, ops), "setting post-ops")
  }

  /// Calls `body` with a copy of `attributes` (or empty attributes) that
  /// leaves the scratchpad to the caller (oneDNN's user scratchpad mode):
  /// the primitive then takes one at each execution (`DNNLPrimitive.execute`)
  /// instead of keeping its own.
  static func withUserScratchpad<T>(
    _ attributes: dnnl_primitive_attr_t?, _ body: (dnnl_primitive_attr_t) throws -> T
  ) throws -> T {
    var copy: dnnl_primitive_attr_t?
    if let attributes {
      try check(dnnl_primitive_attr_clone(&copy, attributes), "copying attributes")
    } else {
      try check(dnnl_primitive_attr_create(&copy), "attributes")
    }
    defer { destroy(attributes: copy!) }
    try check(dnnl_primitive_attr_set_scratchpad_mode(copy, dnnl_scratchpad_mode_user), "scratchpad mode")
    return try body(copy!)
  }

  static func destroy(attributes: dnnl_primitive_attr_t) {
    let status = dnnl_primitive_attr_destroy(attributes)
    precondition(status == dnnl_success, "oneDNN: destroying attributes failed (status \(status.rawValue))")
  }

  // MARK: Primitive descriptors

  /// The primitive descriptor of an operation descriptor (`op` points at a
  /// `dnnl_*_desc_t`), `hint` being the forward pass's for a backward one;
  /// in the user scratchpad mode.
  static func primitiveDescriptor(
    _ op: UnsafeRawPointer, attributes: dnnl_primitive_attr_t?, engine: dnnl_engine_t, hint: dnnl_primitive_desc_t?,
    _ what: String
  ) throws -> dnnl_primitive_desc_t {
    var pd: dnnl_primitive_desc_t?
    try withUserScratchpad(attributes) { attributes in
      try check(dnnl_primitive_desc_create(&pd, op, attributes, engine, hint), "\(what): primitive descriptor")
    }
    return pd!
  }

  /// The primitive descriptor of a reorder from layout `from` to `to`.
  static func reorderDescriptor(
    from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, engine: dnnl_engine_t, attributes: dnnl_primitive_attr_t?
  ) throws -> dnnl_primitive_desc_t {
    var pd: dnnl_primitive_desc_t?
    var from = from
    var to = to
    try withUserScratchpad(attributes) { attributes in
      try check(dnnl_reorder_primitive_desc_create(&pd, &from, engine, &to, engine, attributes), "reorder descriptor")
    }
    return pd!
  }

  /// The primitive descriptor of a concatenation of `sources` along `axis`,
  /// in the destination layout oneDNN chooses.
  static func concatDescriptor(
    _ sources: [dnnl_memory_desc_t], axis: Int, engine: dnnl_engine_t
  ) throws -> dnnl_primitive_desc_t {
    var pd: dnnl_primitive_desc_t?
    var sources = sources
    let status = sources.withUnsafeMutableBufferPointer {
      dnnl_concat_primitive_desc_create(&pd, nil, Int32($0.count), Int32(axis), $0.baseAddress, nil, engine)
    }
    try check(status, "concatenation descriptor")
    return pd!
  }

  /// The memory descriptor `query` (such as `dnnl_query_src_md`) of a
  /// primitive descriptor; the `index`th of its kind.
  /// The scratchpad bytes the primitive of `pd` asks for (0 if it does not say).
  static func scratchpadBytes(_ pd: dnnl_primitive_desc_t) -> Int {
    guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0) else { return 0 }
    return size(md.pointee)
  }

  static func md(_ pd: dnnl_primitive_desc_t, _ query: dnnl_query_t, _ index: Int32) -> dnnl_memory_desc_t {
    guard let md = dnnl_primitive_desc_query_md(pd, query, index) else {
      preconditionFailure("oneDNN: no memory descriptor \(query.rawValue) #\(index)")
    }
    return md.pointee
  }

  /// The name of the implementation oneDNN chose (for example
  /// "jit:avx512_core"); nil if it does not say.
  static func implementation(_ pd: dnnl_primitive_desc_t) -> String? {
    var name: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return nil }
    return String(cString: name)
  }

  static func destroy(primitiveDescriptor pd: dnnl_primitive_desc_t) {
    let status = dnnl_primitive_desc_destroy(pd)
    precondition(status == dnnl_success, "oneDNN: destroying a primitive descriptor failed (status \(status.rawValue))")
  }

  // MARK: Primitives

  static func primitive(_ pd: dnnl_primitive_desc_t, _ what: String) throws -> dnnl_primitive_t {
    var primitive: dnnl_primitive_t?
    try check(dnnl_primitive_create(&primitive, pd), "\(what): primitive")
    return primitive!
  }

  /// Runs `primitive` on `stream` with the memory objects of its arguments
  /// (`DNNL_ARG_SRC`, …).
  static func execute(_ primitive: dnnl_primitive_t, stream: dnnl_stream_t, _ arguments: [(Int32, dnnl_memory_t)]) {
    let list = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
    let status = list.withUnsafeBufferPointer {
      dnnl_primitive_execute(primitive, stream, Int32($0.count), $0.baseAddress)
    }
    precondition(status == dnnl_success, "oneDNN execution failed (status \(status.rawValue))")
  }

  static func destroy(primitive: dnnl_primitive_t) {
    let status = dnnl_primitive_destroy(primitive)
    precondition(status == dnnl_success, "oneDNN: destroying a primitive failed (status \(status.rawValue))")
  }
}
