import Raster
import Testing

@testable import UNet

/// The arena placement against its definition: two buffers whose lifetimes
/// overlap never share a byte, offsets are aligned, and the arena is no
/// larger than all buffers side by side and no smaller than the most bytes
/// alive at one moment.
@Suite struct MemoryPlanTests {
  func check(_ items: [MemoryPlan.Item], alignment: Int) {
    let plan = MemoryPlan(items, alignment: alignment)
    #expect(plan.offsets.count == items.count)
    for (i, a) in items.enumerated() {
      #expect(plan.offsets[i] % alignment == 0)
      #expect(plan.offsets[i] + a.size <= plan.size)
      for (j, b) in items.enumerated() where j > i && a.overlaps(b) {
        let disjoint = plan.offsets[i] + a.size <= plan.offsets[j] || plan.offsets[j] + b.size <= plan.offsets[i]
        #expect(disjoint, "items \(i) and \(j) live together but share bytes")
      }
    }
    let moments = items.map(\.last).max() ?? 0
    let peak = (0...max(0, moments)).map { t in items.filter { $0.first <= t && t <= $0.last }.map(\.size).reduce(0, +) }.max() ?? 0
    #expect(plan.size >= peak)
    let sideBySide = items.reduce(0) { ($0 + alignment - 1) / alignment * alignment + $1.size }
    #expect(plan.size <= sideBySide)
  }

  @Test func randomLifetimes() {
    var rng = SplitMix64(seed: 3)
    for _ in 0..<300 {
      let count = Int(rng.next() % 30)
      let items = (0..<count).map { _ -> MemoryPlan.Item in
        let first = Int(rng.next() % 40)
        return MemoryPlan.Item(size: 1 + Int(rng.next() % 5000), first: first, last: first + Int(rng.next() % 12))
      }
      check(items, alignment: [1, 8, 64][Int(rng.next() % 3)])
    }
  }

  @Test func disjointLifetimesShareOneRange() {
    let items = (0..<5).map { MemoryPlan.Item(size: 1000 - $0, first: $0, last: $0) }
    let plan = MemoryPlan(items)
    #expect(plan.offsets == [0, 0, 0, 0, 0])
    #expect(plan.size == 1000)
  }

  @Test func overlappingLifetimesStack() {
    let items = [
      MemoryPlan.Item(size: 100, first: 0, last: 2), MemoryPlan.Item(size: 50, first: 2, last: 4),
      MemoryPlan.Item(size: 100, first: 3, last: 5),
    ]
    let plan = MemoryPlan(items, alignment: 64)
    // The two of 100 bytes never live together: they share offset 0; the one
    // of 50 overlaps both and goes above them, at the next aligned offset.
    #expect(plan.offsets == [0, 128, 0])
    #expect(plan.size == 178)
  }
}
