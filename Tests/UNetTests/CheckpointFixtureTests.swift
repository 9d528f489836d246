import Foundation
import Raster
import Testing
import _TestSupport

@testable import UNet

/// The version-1 checkpoint in Tests/Fixtures/checkpoint-v1, written by an
/// earlier `unet` (see its README): it must still load, predict what that
/// `unet` predicted, and resume to the weights of its uninterrupted run.
///
/// Tolerances: the fixture was computed with oneDNN on one thread, as here;
/// on the same machine the results are bit-identical. Other CPUs may pick
/// other kernels whose float32 sums round differently, far below 1e-6 for
/// probabilities and weights after two steps at learning rate 0.001; the
/// momentum (a sum of gradients of size up to about 10) gets 1e-5 relative.
@Suite struct CheckpointFixtureTests {
  static let folder = fixturesFolder + "/checkpoint-v1"

  @Test func versionOneCheckpointLoads() throws {
    let checkpoint = try Checkpoint.read(from: try Checkpoint.resolve(Self.folder + "/run"))
    #expect(checkpoint.step == 2)
    #expect(checkpoint.configuration.architecture == Architecture(inputChannels: 1, classes: 2, baseChannels: 4, depth: 1, dropout: 0.5))
    #expect(checkpoint.configuration.tile == 36 && checkpoint.configuration.steps == 4)
    // Version 1 stored the normalisation as JSON text inside the configuration.
    #expect(checkpoint.configuration.normalization == .standard)
    #expect(checkpoint.configuration.shards == "shards")
    #expect(checkpoint.stream != nil)
  }

  @Test func versionOneCheckpointPredictsAsBefore() throws {
    let checkpoint = try Checkpoint.read(from: Self.folder + "/run/last.ckpt")
    let c = checkpoint.configuration
    let predictor = try TiledPredictor(
      architecture: c.architecture, parameters: checkpoint.parameters, tile: c.tile.side, backend: BackendChoice.default.make(threads: 1))
    let image = (c.normalization ?? .standard).apply(to: try ImageFile.read(Self.folder + "/image.png"))
    let probabilities = try predictor.probabilities(image)
    guard case .float32(let expected) = try ImageFile.read(Self.folder + "/expected/image.prob.tiff") else {
      Issue.record("the expected probabilities are not float32")
      return
    }
    let plane = image.pixelCount
    #expect(expected.pixelCount == plane)
    let difference = zip(probabilities[plane..<2 * plane], expected.samples).map { abs($0 - $1) }.max() ?? .infinity
    #expect(difference <= 1e-6, "largest difference \(difference)")
  }

  @Test func versionOneCheckpointResumesToTheUninterruptedWeights() throws {
    var checkpoint = try Checkpoint.read(from: Self.folder + "/run/last.ckpt")
    checkpoint.configuration.shards = Self.folder + "/shards"
    let dir = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let trainer = try Trainer(resuming: checkpoint, directory: dir, backend: BackendChoice.default.make(threads: 1), checkpointEvery: 2)
    #expect(try trainer.run() == .finished(step: 4))
    let resumed = try Checkpoint.read(from: dir + "/" + Checkpoint.lastName)
    let expected = try Checkpoint.read(from: Self.folder + "/expected/step-000004.ckpt")
    #expect(resumed.step == 4)
    let weights = zip(resumed.parameters.joined(), expected.parameters.joined()).map { abs($0 - $1) }.max() ?? .infinity
    #expect(weights <= 1e-6, "weights differ by \(weights)")
    let resumedMomentum = try #require(resumed.optimizerState?["momentum"])
    let expectedMomentum = try #require(expected.optimizerState?["momentum"])
    let momentum = zip(resumedMomentum.joined(), expectedMomentum.joined()).map { abs($0 - $1) / max(1, abs($1)) }.max()
    #expect((momentum ?? .infinity) <= 1e-5, "momentum differs by \(momentum ?? .infinity) (relative)")
  }
}
