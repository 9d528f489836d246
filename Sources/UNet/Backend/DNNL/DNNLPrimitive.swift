import CDNNL

/// A primitive with the descriptor it was made from.
final class DNNLPrimitive {
  let pd: dnnl_primitive_desc_t
  let primitive: dnnl_primitive_t

  /// Makes the primitive of an operation descriptor (`op` points at a
  /// `dnnl_*_desc_t`).
  convenience init(
    op: UnsafeRawPointer, attr: dnnl_primitive_attr_t? = nil, hint: DNNLPrimitive? = nil,
    context: DNNLContext, what: String
  ) throws {
    var pd: dnnl_primitive_desc_t?
    try DNNL.check(dnnl_primitive_desc_create(&pd, op, attr, context.engine, hint?.pd), "\(what): primitive descriptor")
    try self.init(pd: pd!, what: what)
  }

  /// Takes ownership of `pd`.
  init(pd: dnnl_primitive_desc_t, what: String) throws {
    var primitive: dnnl_primitive_t?
    let status = dnnl_primitive_create(&primitive, pd)
    guard status == dnnl_success, let primitive else {
      dnnl_primitive_desc_destroy(pd)
      throw TrainingError("oneDNN: \(what): primitive failed (status \(status.rawValue))")
    }
    self.pd = pd
    self.primitive = primitive
  }

  func md(_ query: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
    dnnl_primitive_desc_query_md(pd, query, index).pointee
  }

  /// The implementation oneDNN chose (for example "jit:avx512_core").
  var implementation: String {
    var name: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
    return String(cString: name)
  }

  func execute(_ args: [(Int32, dnnl_memory_t)], context: DNNLContext) {
    let list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
    let status = list.withUnsafeBufferPointer {
      dnnl_primitive_execute(primitive, context.stream, Int32($0.count), $0.baseAddress)
    }
    precondition(status == dnnl_success, "oneDNN execution failed (status \(status.rawValue))")
  }

  deinit {
    dnnl_primitive_destroy(primitive)
    dnnl_primitive_desc_destroy(pd)
  }
}

/// A reorder from one layout to another, optionally accumulating into the destination.
func makeReorder(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, accumulate: Bool = false, context: DNNLContext) throws -> DNNLPrimitive {
  var attr: dnnl_primitive_attr_t?
  try DNNL.check(dnnl_primitive_attr_create(&attr), "reorder attributes")
  defer { dnnl_primitive_attr_destroy(attr) }
  if accumulate {
    var ops: dnnl_post_ops_t?
    try DNNL.check(dnnl_post_ops_create(&ops), "post-ops")
    defer { dnnl_post_ops_destroy(ops) }
    try DNNL.check(dnnl_post_ops_append_sum(ops, 1), "sum post-op")
    try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "setting post-ops")
  }
  var pd: dnnl_primitive_desc_t?
  var from = from
  var to = to
  try DNNL.check(dnnl_reorder_primitive_desc_create(&pd, &from, context.engine, &to, context.engine, attr), "reorder descriptor")
  return try DNNLPrimitive(pd: pd!, what: "reorder")
}
