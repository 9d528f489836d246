import ArgumentParser
import Foundation
import Shards

/// `unet manifest`: work on a dataset's manifest.
struct ManifestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "manifest",
    abstract: "Merge partial manifests of a partitioned run, or verify a dataset's shards.",
    subcommands: [Merge.self, Verify.self])

  struct Merge: ToolCommand {
    static let configuration = CommandConfiguration(
      abstract: "Join DIR/manifest.part-*.json into DIR/manifest.json (byte-identical to a single run's).")

    @Argument(help: "Dataset folder.")
    var dir: String

    func execute() throws {
      let manifest = try Manifest.mergePartials(in: dir)
      print("manifest: \(manifest.shards.count) shards, \(manifest.totalSamples) samples, \(manifest.totalBytes) bytes -> \(dir)/\(Manifest.fileName)")
    }
  }

  struct Verify: ToolCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check every shard listed in DIR/manifest.json against its size and SHA-256.")

    @Argument(help: "Dataset folder.")
    var dir: String

    func execute() throws {
      let manifest = try Manifest.read(from: dir + "/" + Manifest.fileName)
      try manifest.verifyShards(in: dir)
      guard manifest.isComplete else {
        throw ShardError(.missingShards, path: dir + "/" + Manifest.fileName, "lists \(manifest.shards.count) of \(manifest.plan.shardCount) shards")
      }
      print("manifest: \(manifest.shards.count) shards verified, \(manifest.totalSamples) samples")
    }
  }
}
