import CDNNL
import Foundation

/// Thin wrappers over oneDNN's C API, the backend's only caller of it: each
/// C call is wrapped once, in a small function that turns its status into a
/// `TrainingError` (or, where only a programming error can fail it, a
/// precondition). The calls by subject: this file (the library's version,
/// instruction set and threads), `DNNL+Memory.swift` (memory descriptors and
/// objects), `DNNL+Primitive.swift` (the engine and stream, attributes,
/// primitive descriptors and primitives) and `DNNL+Operation.swift`
/// (operation descriptors, and sgemm). The owning types over them are
/// `DNNLContext`, `DNNLBuffer` and `DNNLPrimitive`.
enum DNNL {
  static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status == dnnl_success else {
      throw TrainingError("oneDNN: \(what()) failed (status \(status.rawValue))")
    }
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

  /// The library's version as "major.minor.patch"; nil if it does not say.
  static var version: String? {
    guard let v = dnnl_version() else { return nil }
    return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
  }

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
