import CDNNL
import Foundation

/// The parameters and the optimiser's state one tensor at a time, so that a
/// run is started with one tensor's plain copy in memory instead of all of
/// them (124 MB for each of the paper network's copies), and a checkpoint
/// is written with none (`withParameter`, `withOptimizerState`: in the
/// arena, idle between steps). The conversion between oneDNN's layout and
/// the plain one runs straight between the buffer and the array's storage,
/// without the intermediate buffer of `parameters()`.
extension DNNLGraph {
  func parameter(_ index: Int) -> [Float] {
    let p = params[index]!
    return plainCopy(of: p.value, p)
  }

  func withParameter<R>(_ index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    let p = params[index]!
    return try withPlainValues(of: p.value, p, body)
  }

  func setParameter(_ index: Int, _ values: [Float]) {
    let p = params[index]!
    load(values, into: p.value, p)
  }

  /// Loads every parameter i from `parameter(i)` (called on two threads at
  /// once): the conversions into oneDNN's layouts run on two threads, the
  /// largest first. Winograd's weight transform, most of the time it takes,
  /// runs on one thread in oneDNN.
  func loadParameters(concurrently parameter: (Int) -> [Float]) {
    guard let helper = try? DNNLContext(streamBeside: context) else {
      for i in params.indices { setParameter(i, parameter(i)) }
      return
    }
    // Those rearranged in Swift allocate through the graph's context: on this thread.
    var lists: [[Int]] = [[], []]
    var sizes = [0, 0]
    for i in params.indices.sorted(by: { params[$0]!.spec.count > params[$1]!.spec.count }) {
      let k = params[i]!.rearranged || sizes[0] <= sizes[1] ? 0 : 1
      lists[k].append(i)
      sizes[k] += params[i]!.spec.count
    }
    withoutActuallyEscaping(parameter) { parameter in
      let work = { (k: Int) in
        for i in lists[k] {
          let p = self.params[i]!
          self.load(parameter(i), into: p.value, p, stream: k == 0 ? nil : helper)
        }
      }
      // Each thread converts its own parameters on its own stream.
      let shared = UncheckedSendable(work)
      DispatchQueue.concurrentPerform(iterations: 2) { shared.value($0) }
    }
  }

  var optimizerSlots: Set<String> { Set(params.first??.slots.keys ?? [:].keys) }

  func optimizerState(_ slot: String, parameter index: Int) -> [Float] {
    let p = params[index]!
    guard let buffer = p.slots[slot] else { preconditionFailure("no optimiser slot \(slot)") }
    return plainCopy(of: buffer, p)
  }

  func withOptimizerState<R>(
    _ slot: String, parameter index: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    let p = params[index]!
    guard let buffer = p.slots[slot] else { preconditionFailure("no optimiser slot \(slot)") }
    return try withPlainValues(of: buffer, p, body)
  }

  func setOptimizerState(_ slot: String, parameter index: Int, _ values: [Float]) throws {
    guard training else { throw TrainingError("optimiser state needs a training graph") }
    let p = params[index]!
    guard values.count == p.spec.count else {
      throw TrainingError("optimiser slot \(slot): \(values.count) values for \(p.spec.name) of shape \(p.spec.shape)")
    }
    // Every parameter gets the slot, as `update` makes it for all at once.
    for other in params { _ = try other!.slot(slot, context: context) }
    load(values, into: try p.slot(slot, context: context), p)
  }

  /// `buffer` (of parameter `p`'s layout) in the plain layout.
  private func plainCopy(of buffer: DNNLBuffer, _ p: DNNLParameter) -> [Float] {
    guard !p.rearranged, let toPlain = p.toPlain else { return p.read(buffer, context: context) }
    return [Float](unsafeUninitializedCapacity: p.spec.count) { storage, count in
      withPlainMemory(of: p, at: UnsafeMutableRawPointer(storage.baseAddress!)) { plain in
        toPlain.execute([(DNNL_ARG_FROM, buffer.memory), (DNNL_ARG_TO, plain)], context: context)
      }
      count = p.spec.count
    }
  }

  /// Calls `body` with `buffer` (of parameter `p`'s layout) in the plain
  /// layout, converted into the start of the arena: between steps no
  /// activation or gradient there is needed again (each step writes every
  /// buffer of the arena before reading it). Through a copy when the arena
  /// is smaller than the tensor or the input channels are padded.
  private func withPlainValues<R>(
    of buffer: DNNLBuffer, _ p: DNNLParameter, _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    guard p.paddedInputChannels == nil, !p.rearranged, let toPlain = p.toPlain, let arena,
      arena.bytes >= p.spec.count * MemoryLayout<Float>.size
    else {
      return try plainCopy(of: buffer, p).withUnsafeBufferPointer(body)
    }
    withPlainMemory(of: p, at: arena.pointer) { plain in
      toPlain.execute([(DNNL_ARG_FROM, buffer.memory), (DNNL_ARG_TO, plain)], context: context)
    }
    return try body(UnsafeBufferPointer(start: arena.pointer.assumingMemoryBound(to: Float.self), count: p.spec.count))
  }

  /// Converts the plain `values` into `buffer` (of parameter `p`'s layout),
  /// on `stream`'s stream (the graph's when nil).
  private func load(_ values: [Float], into buffer: DNNLBuffer, _ p: DNNLParameter, stream: DNNLContext? = nil) {
    precondition(values.count == p.spec.count, "\(p.spec.name): \(values.count) values for shape \(p.spec.shape)")
    let context = stream ?? self.context
    guard !p.rearranged else { return p.load(values, into: buffer, context: context) }
    p.remember(values, in: buffer)
    values.withUnsafeBufferPointer { storage in
      // The reorder only reads its source.
      withPlainMemory(of: p, at: UnsafeMutableRawPointer(mutating: storage.baseAddress!)) { plain in
        p.toNative.execute([(DNNL_ARG_FROM, plain), (DNNL_ARG_TO, buffer.memory)], context: context)
      }
    }
  }

  /// Calls `body` with a oneDNN memory object of `p`'s plain layout over
  /// the bytes at `address`.
  private func withPlainMemory(of p: DNNLParameter, at address: UnsafeMutableRawPointer, _ body: (dnnl_memory_t) -> Void) {
    let memory: dnnl_memory_t
    do {
      memory = try DNNL.memory(p.plainMD, engine: context.engine, pointer: address, "a memory object over \(p.spec.name)")
    } catch {
      preconditionFailure("\(error)")
    }
    defer { DNNL.destroy(memory: memory) }
    body(memory)
  }
}

extension DNNLGraph {
  @_spi(Diagnostics) public var workspaceBytes: (arena: Int, scratch: Int, buffers: Int, library: Int) {
    let parameters = params.reduce(0) { total, p in
      total + p!.value.bytes + (p!.gradient?.bytes ?? 0) + p!.slots.values.reduce(0) { $0 + $1.bytes }
    }
    // oneDNN's scratchpad (library mode): one, as large as the largest
    // primitive's request.
    let library = primitives.map { DNNL.scratchpadBytes($0.pd) }.max() ?? 0
    return (
      arena?.bytes ?? 0, scratch.arenas.reduce(0) { $0 + $1.bytes }, context.ownedBytes - parameters, library
    )
  }
}

/// A value handed to other threads whose accesses the code keeps apart.
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
