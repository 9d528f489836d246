import Testing
@testable import UNet

@Suite struct ArchitectureTests {
  @Test func paperTileSizes() throws {
    let a = Architecture.paper
    #expect(a.outputSize(forTile: 572) == 388)
    #expect(a.margin == 92)
    #expect(a.convolutionCount == 23)
    #expect(a.outputSize(forTile: 570) == nil)
    #expect(a.nearestValidTiles(to: 570) == [556, 572])
    // Reference: every valid tile gives output = tile − 2·margin.
    for t in 1...1200 {
      if let o = a.outputSize(forTile: t) { #expect(o == t - 2 * a.margin) }
    }
    #expect(throws: TrainingError.self) { try a.validateTile(570) }
  }
}
