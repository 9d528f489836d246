import CDNNL
import Foundation

/// The CPU engine, one in-order stream, and the scratchpad that every
/// primitive run on the stream shares.
final class DNNLContext: @unchecked Sendable {
  let engine: dnnl_engine_t
  let stream: dnnl_stream_t
  /// The bytes of the buffers with bytes of their own that exist now.
  var ownedBytes = 0
  /// The scratchpad: mapped on first use, and mapped anew when a primitive
  /// asks for more.
  private var scratchpad: (pointer: UnsafeMutableRawPointer, bytes: Int)?

  /// The context `stream` was made beside, whose engine this one uses.
  private let sharing: DNNLContext?

  init() throws {
    let engine = try DNNL.cpuEngine()
    stream = try DNNL.stream(engine)
    self.engine = engine
    sharing = nil
  }

  /// A second stream on `other`'s engine, for another thread to run its
  /// primitives on.
  init(streamBeside other: DNNLContext) throws {
    engine = other.engine
    stream = try DNNL.stream(other.engine)
    sharing = other
  }

  /// The scratchpad of the primitive about to run, at least `bytes` long.
  ///
  /// Primitives are made in oneDNN's user scratchpad mode (see
  /// `DNNL.withUserScratchpad`) and run one at a time on the stream, so one
  /// buffer as large as the largest request serves them all. In oneDNN's
  /// own mode most primitives keep a scratchpad each from their creation
  /// on (74 MiB more for the paper's network in training). The buffer is
  /// mapped rather than taken from the heap, so that growing it leaves no
  /// freed block behind.
  func scratchpad(bytes: Int) -> UnsafeMutableRawPointer {
    if let scratchpad, scratchpad.bytes >= bytes { return scratchpad.pointer }
    if let scratchpad {
      // What ran on the old buffer is done before it goes.
      DNNL.wait(stream)
      munmap(scratchpad.pointer, scratchpad.bytes)
      self.scratchpad = nil
    }
    let address = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    guard let address, address != MAP_FAILED else {
      preconditionFailure("out of memory mapping a scratchpad of \(bytes) bytes")
    }
    scratchpad = (address, bytes)
    return address
  }

  deinit {
    if let scratchpad { munmap(scratchpad.pointer, scratchpad.bytes) }
    DNNL.destroy(stream: stream)
    if sharing == nil { DNNL.destroy(engine: engine) }
  }
}
