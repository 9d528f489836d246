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
