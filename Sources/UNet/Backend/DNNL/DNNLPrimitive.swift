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
    let pd = try DNNL.primitiveDescriptor(op, attributes: attr, engine: context.engine, hint: hint?.pd, what)
    try self.init(pd: pd, what: what)
  }

  /// Takes ownership of `pd`.
  init(pd: dnnl_primitive_desc_t, what: String) throws {
    do {
      primitive = try DNNL.primitive(pd, what)
    } catch {
      DNNL.destroy(primitiveDescriptor: pd)
      throw error
    }
    self.pd = pd
  }

  func md(_ query: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
    DNNL.md(pd, query, index)
  }

  /// The implementation oneDNN chose (for example "jit:avx512_core").
  var implementation: String { DNNL.implementation(pd) ?? "?" }

  /// Whether that implementation is one of oneDNN's slow reference kernels.
  var isReference: Bool { DNNL.isReference(implementation) }

  /// The primitive as the kernel list names it, for the operation it runs.
  func kernel(_ operation: String) -> Kernel {
    let implementation = self.implementation
    return Kernel(operation: operation, implementation: implementation, isReference: DNNL.isReference(implementation))
  }

  func execute(_ args: [(Int32, dnnl_memory_t)], context: DNNLContext) {
    DNNL.execute(primitive, stream: context.stream, args)
  }

  deinit {
    DNNL.destroy(primitive: primitive)
    DNNL.destroy(primitiveDescriptor: pd)
  }
}

/// A reorder from one layout to another, optionally accumulating into the destination.
func makeReorder(from: dnnl_memory_desc_t, to: dnnl_memory_desc_t, accumulate: Bool = false, context: DNNLContext) throws -> DNNLPrimitive {
  let attr = try DNNL.attributes("reorder attributes")
  defer { DNNL.destroy(attributes: attr) }
  if accumulate { try DNNL.setPostOp(.sum, on: attr) }
  let pd = try DNNL.reorderDescriptor(from: from, to: to, engine: context.engine, attributes: attr)
  return try DNNLPrimitive(pd: pd, what: "reorder")
}
