/// Places buffers with known lifetimes in one arena, so that two buffers share
/// bytes only when no moment of a step uses both. A training step needs every
/// activation at the end of the forward pass, but each gradient only from the
/// backward pass of its consumer to that of its producer, and each activation
/// only until the backward pass that reads it: activations and gradients can
/// take turns in the same memory, as PyTorch's autograd frees them.
///
/// Placement is greedy, largest first, at the lowest offset free of every
/// placed buffer whose lifetime overlaps (first-fit decreasing, the usual
/// heuristic for this NP-hard problem; Sekiyama et al. 2018,
/// arXiv:1804.10001, compare it with the optimum).
struct MemoryPlan {
  struct Item: Equatable {
    /// Bytes the buffer needs.
    var size: Int
    /// The first and last moment (inclusive) that use it.
    var first: Int
    var last: Int

    func overlaps(_ other: Item) -> Bool { first <= other.last && other.first <= last }
  }

  /// Each item's offset in the arena, in the order of `items`.
  let offsets: [Int]
  /// The arena's size in bytes.
  let size: Int

  /// - Parameter alignment: every offset is a multiple of it (a power of two).
  init(_ items: [Item], alignment: Int = 64) {
    precondition(alignment > 0 && alignment & (alignment - 1) == 0, "alignment \(alignment) is not a power of two")
    func aligned(_ n: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }
    let order = items.indices.sorted { (items[$0].size, $1) > (items[$1].size, $0) }
    var offsets = [Int](repeating: 0, count: items.count)
    var placed: [Int] = []
    var size = 0
    for i in order {
      let item = items[i]
      // The byte ranges taken, during this item's lifetime, by those placed.
      let taken = placed.filter { items[$0].overlaps(item) }
        .map { (start: offsets[$0], end: offsets[$0] + items[$0].size) }
        .sorted { $0.start < $1.start }
      var offset = 0
      for range in taken {
        if range.start >= offset + item.size { break }
        offset = max(offset, aligned(range.end))
      }
      offsets[i] = offset
      placed.append(i)
      size = max(size, offset + item.size)
    }
    self.offsets = offsets
    self.size = size
  }
}
