import CDNNL

/// Memory descriptors (a tensor's dims and layout) and memory objects (a
/// descriptor over bytes).
extension DNNL {
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

  /// The plain channels-first tag of a tensor of `rank` dims (N, C and the
  /// spatial axes): nchw, or ncdhw in 3-D.
  static func channelsFirst(rank: Int) -> dnnl_format_tag_t { rank == 5 ? dnnl_ncdhw : dnnl_nchw }

  /// The plain channels-last tag of a tensor of `rank` dims: nhwc, or ndhwc in 3-D.
  static func channelsLast(rank: Int) -> dnnl_format_tag_t { rank == 5 ? dnnl_ndhwc : dnnl_nhwc }

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

  /// A memory object of layout `md` over `pointer`'s bytes (nil: none yet).
  static func memory(
    _ md: dnnl_memory_desc_t, engine: dnnl_engine_t, pointer: UnsafeMutableRawPointer?, _ what: String
  ) throws -> dnnl_memory_t {
    var memory: dnnl_memory_t?
    var md = md
    try check(dnnl_memory_create(&memory, &md, engine, pointer), what)
    return memory!
  }

  /// Points `memory` at other bytes.
  static func setData(_ memory: dnnl_memory_t, _ pointer: UnsafeMutableRawPointer, _ what: String) throws {
    try check(dnnl_memory_set_data_handle(memory, pointer), what)
  }

  static func destroy(memory: dnnl_memory_t) {
    let status = dnnl_memory_destroy(memory)
    precondition(status == dnnl_success, "oneDNN: destroying a memory object failed (status \(status.rawValue))")
  }
}
