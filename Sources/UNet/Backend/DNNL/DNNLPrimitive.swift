import CDNNL

/// A primitive with the descriptor it was made from.
final class DNNLPrimitive {
  let pd: dnnl_primitive_desc_t
  let primitive: dnnl_primitive_t
  /// The bytes of scratchpad it needs at each execution (0: none).
  let scratchpadBytes: Int
  /// A memory object of its scratchpad's descriptor, pointed at the
  /// context's scratchpad before each execution; made on the first.
  private var scratchpad: dnnl_memory_t?

  /// Makes the primitive of an operation descriptor (`op` points at a
  /// `dnnl_*_desc_t`).
  convenience init(
    op: UnsafeRawPointer, attr: dnnl_primitive_attr_t? = nil, hint: DNNLPrimitive? = nil,
    context: DNNLContext, what: String
  ) throws {
    let pd = try DNNL.primitiveDescriptor(op, attributes: attr, engine: context.engine, hint: hint?.pd, what)
    try self.init(pd: pd, what: what)
  }

  /// Takes ownership of `pd`, which must leave its scratchpad to the
  /// caller (`DNNL.withUserScratchpad`).
  init(pd: dnnl_primitive_desc_t, what: String) throws {
    do {
      primitive = try DNNL.primitive(pd, what)
    } catch {
      DNNL.destroy(primitiveDescriptor: pd)
      throw error
    }
    self.pd = pd
    scratchpadBytes = DNNL.scratchpadBytes(pd)
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

  /// Runs the primitive on `args`, with the context's scratchpad as its own.
  func execute(_ args: [(Int32, dnnl_memory_t)], context: DNNLContext) {
    guard scratchpadBytes > 0 else { return DNNL.execute(primitive, stream: context.stream, args) }
    let address = context.scratchpad(bytes: scratchpadBytes)
    do {
      if scratchpad == nil {
        scratchpad = try DNNL.memory(
          md(dnnl_query_scratchpad_md), engine: context.engine, pointer: address, "scratchpad")
      } else {
        try DNNL.setData(scratchpad!, address, "scratchpad")
      }
    } catch {
      preconditionFailure("\(error)")
    }
    DNNL.execute(primitive, stream: context.stream, args + [(DNNL_ARG_SCRATCHPAD, scratchpad!)])
  }

  deinit {
    if let scratchpad { DNNL.destroy(memory: scratchpad) }
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
