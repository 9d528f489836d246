import CDNNL
import Foundation

/// Thin, owning wrappers over oneDNN's C API: each C call is wrapped once and
/// its status turned into a `TrainingError`.
enum DNNL {
  static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status == dnnl_success else {
      throw TrainingError("oneDNN: \(what()) failed (status \(status.rawValue))")
    }
  }

  /// A plain (row-major) float32 descriptor with the given dims and tag.
  static func desc(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { dnnl_dim_t($0) }
    let status = dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag)
    precondition(status == dnnl_success, "memory descriptor \(dims)")
    return md
  }

  /// A float32 descriptor with the given dims and strides (in elements).
  static func strided(_ dims: [Int], strides: [Int]) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { dnnl_dim_t($0) }
    let s = strides.map { dnnl_dim_t($0) }
    try check(dnnl_memory_desc_init_by_strides(&md, Int32(d.count), d, dnnl_f32, s), "memory descriptor \(dims) by strides \(strides)")
    return md
  }

  /// A descriptor that lets the primitive choose the layout.
  static func any(_ dims: [Int]) -> dnnl_memory_desc_t { desc(dims, dnnl_format_tag_any) }

  static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    var a = a
    var b = b
    return dnnl_memory_desc_equal(&a, &b) != 0
  }

  static func size(_ md: dnnl_memory_desc_t) -> Int {
    var md = md
    return dnnl_memory_desc_get_size(&md)
  }

  /// A view of `dims` starting at `offsets` inside `parent`.
  static func submemory(_ parent: dnnl_memory_desc_t, dims: [Int], offsets: [Int]) throws -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    var parent = parent
    let d = dims.map { dnnl_dim_t($0) }
    let o = offsets.map { dnnl_dim_t($0) }
    try check(dnnl_memory_desc_init_submemory(&md, &parent, d, o), "sub-memory \(dims) at \(offsets)")
    return md
  }

  /// Sets oneDNN's (OpenMP's) thread count for the calling thread and the
  /// threads it starts. OpenMP reads its environment when it is loaded, so
  /// the count is set through `omp_set_num_threads`, looked up at run time
  /// (libdnnl brings the OpenMP runtime with it).
  static func setThreads(_ count: Int) {
    typealias SetThreads = @convention(c) (Int32) -> Void
    guard let symbol = dlsym(dlopen(nil, RTLD_LAZY), "omp_set_num_threads") else { return }
    unsafeBitCast(symbol, to: SetThreads.self)(Int32(count))
  }

  /// Whether an implementation name is one of oneDNN's reference kernels
  /// (plain loops, 10–1000× slower than its JIT ones): "ref:any",
  /// "ref_int8:any", but not "jit:uni" or "x64:gemm:jit".
  static func isReference(_ implementation: String) -> Bool { implementation.hasPrefix("ref") }

  /// The instruction set oneDNN's JIT kernels use on this machine, as
  /// `ONEDNN_MAX_CPU_ISA` names it ("AVX512_CORE", "AVX2", "SSE41").
  static var effectiveISA: String {
    switch dnnl_get_effective_cpu_isa() {
    case dnnl_cpu_isa_sse41: return "SSE41"
    case dnnl_cpu_isa_avx: return "AVX"
    case dnnl_cpu_isa_avx2: return "AVX2"
    case dnnl_cpu_isa_avx2_vnni: return "AVX2_VNNI"
    case dnnl_cpu_isa_avx512_mic: return "AVX512_MIC"
    case dnnl_cpu_isa_avx512_mic_4ops: return "AVX512_MIC_4OPS"
    case dnnl_cpu_isa_avx512_core: return "AVX512_CORE"
    case dnnl_cpu_isa_avx512_core_vnni: return "AVX512_CORE_VNNI"
    case dnnl_cpu_isa_avx512_core_bf16: return "AVX512_CORE_BF16"
    case dnnl_cpu_isa_avx512_core_amx: return "AVX512_CORE_AMX"
    case let other: return "ISA 0x\(String(other.rawValue, radix: 16))"
    }
  }

  /// The thread count oneDNN will use.
  static func maxThreads() -> Int {
    typealias GetThreads = @convention(c) () -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_LAZY), "omp_get_max_threads") else { return 1 }
    return Int(unsafeBitCast(symbol, to: GetThreads.self)())
  }
}

/// The CPU engine and one in-order stream.
final class DNNLContext: @unchecked Sendable {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t
  /// The bytes of the buffers with bytes of their own that exist now.
  fileprivate(set) var ownedBytes = 0

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

/// A 64-byte aligned float buffer with a oneDNN memory object over it. Its
/// bytes are its own, or a range of an arena that `DNNLGraph` shares among
/// buffers whose lifetimes in a step do not overlap (`place(at:)`).
final class DNNLBuffer {
  let md: dnnl_memory_desc_t
  let bytes: Int
  /// The buffer's bytes; nil until an unplaced buffer is placed.
  private(set) var pointer: UnsafeMutableRawPointer!
  private let owned: Bool
  private let context: DNNLContext
  let memory: dnnl_memory_t
  /// Extra memory objects that view part of this buffer (kept alive here).
  private var views: [dnnl_memory_t] = []

  /// A zeroed buffer with bytes of its own.
  convenience init(_ md: dnnl_memory_desc_t, context: DNNLContext) throws {
    let bytes = max(DNNL.size(md), 64)
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
      throw TrainingError("out of memory allocating \(bytes) bytes")
    }
    memset(raw, 0, bytes)
    try self.init(md, bytes: bytes, pointer: raw, context: context)
  }

  /// A buffer whose bytes are given later by `place(at:)`.
  convenience init(unplaced md: dnnl_memory_desc_t, context: DNNLContext) throws {
    try self.init(md, bytes: max(DNNL.size(md), 64), pointer: nil, context: context)
  }

  private init(_ md: dnnl_memory_desc_t, bytes: Int, pointer: UnsafeMutableRawPointer?, context: DNNLContext) throws {
    self.md = md
    self.bytes = bytes
    self.pointer = pointer
    owned = pointer != nil
    self.context = context
    var memory: dnnl_memory_t?
    var md = md
    let status = dnnl_memory_create(&memory, &md, context.engine, pointer)
    guard status == dnnl_success, let memory else {
      if let pointer { free(pointer) }
      throw TrainingError("oneDNN: creating a memory object failed (status \(status.rawValue))")
    }
    self.memory = memory
    if owned { context.ownedBytes += bytes }
  }

  /// Whether the layout pads a dimension (such as 2 channels in nChw16c):
  /// such a buffer's padding must stay zero, so it keeps bytes of its own.
  var hasPadding: Bool {
    var md = md
    return withUnsafeBytes(of: &md.dims) { dims in
      withUnsafeBytes(of: &md.padded_dims) { padded in dims.elementsEqual(padded) }
    } == false
  }

  /// Gives an unplaced buffer its bytes (`bytes` of them from `address`).
  func place(at address: UnsafeMutableRawPointer) throws {
    precondition(!owned && pointer == nil, "buffer already has its bytes")
    pointer = address
    for memory in [memory] + views {
      try DNNL.check(dnnl_memory_set_data_handle(memory, address), "placing a buffer")
    }
  }

  /// A memory object over the same bytes with another descriptor (a sub-memory view).
  func view(_ md: dnnl_memory_desc_t, context: DNNLContext) throws -> dnnl_memory_t {
    var memory: dnnl_memory_t?
    var md = md
    try DNNL.check(dnnl_memory_create(&memory, &md, context.engine, pointer), "creating a memory view")
    views.append(memory!)
    return memory!
  }

  var floats: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer.assumingMemoryBound(to: Float.self), count: bytes / 4)
  }

  func zero() { memset(pointer, 0, bytes) }

  deinit {
    for view in views { dnnl_memory_destroy(view) }
    dnnl_memory_destroy(memory)
    if owned {
      free(pointer)
      context.ownedBytes -= bytes
    }
  }
}

/// One 64-byte aligned block of memory that buffers are placed in.
final class DNNLArena {
  let pointer: UnsafeMutableRawPointer
  let bytes: Int

  init(bytes: Int) throws {
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else {
      throw TrainingError("out of memory allocating \(bytes) bytes")
    }
    memset(raw, 0, max(bytes, 64))
    pointer = raw
    self.bytes = max(bytes, 64)
  }

  deinit { free(pointer) }
}

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
