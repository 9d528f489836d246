/// The scratch memory of the matrix-product weight gradients: three blocks
/// (the input in nhwc, the output gradient in nhwc with rows as wide as the
/// input's, the nine products) that every layer's buffers share, since the
/// layers' backward passes run one after another; and a vector of ones for
/// the bias gradients.
final class GEMMScratch {
  /// Buffers by block, each placed at its block's start by `place()`.
  var blocks: [[DNNLBuffer]] = [[], [], []]
  /// The longest vector of ones a bias gradient needs.
  var onesCount = 0
  private(set) var arenas: [DNNLArena] = []
  private(set) var ones: UnsafeMutablePointer<Float>?

  func place() throws {
    for buffers in blocks where !buffers.isEmpty {
      let arena = try DNNLArena(bytes: buffers.map(\.bytes).max()!)
      for buffer in buffers { try buffer.place(at: arena.pointer) }
      arenas.append(arena)
    }
    if onesCount > 0 {
      ones = .allocate(capacity: onesCount)
      ones!.initialize(repeating: 1, count: onesCount)
    }
  }

  deinit { ones?.deallocate() }
}
