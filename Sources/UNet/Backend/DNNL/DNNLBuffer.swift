import CDNNL
import Foundation

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
    do {
      memory = try DNNL.memory(md, engine: context.engine, pointer: pointer, "creating a memory object")
    } catch {
      if let pointer { free(pointer) }
      throw error
    }
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
      try DNNL.setData(memory, address, "placing a buffer")
    }
  }

  /// A memory object over the same bytes with another descriptor (a sub-memory view).
  func view(_ md: dnnl_memory_desc_t, context: DNNLContext) throws -> dnnl_memory_t {
    let memory = try DNNL.memory(md, engine: context.engine, pointer: pointer, "creating a memory view")
    views.append(memory)
    return memory
  }

  var floats: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: pointer.assumingMemoryBound(to: Float.self), count: bytes / 4)
  }

  func zero() { memset(pointer, 0, bytes) }

  deinit {
    for view in views { DNNL.destroy(memory: view) }
    DNNL.destroy(memory: memory)
    if owned {
      free(pointer)
      context.ownedBytes -= bytes
    }
  }
}
