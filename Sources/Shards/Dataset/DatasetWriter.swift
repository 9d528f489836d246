import Foundation
import _Support

/// Writes one partition of a shard dataset into a folder, resuming where an
/// earlier run stopped.
///
/// For each shard the partition owns (`plan.shards(ownedBy:)`), in order:
/// 1. a shard that a manifest in the folder lists (`manifest.json`, or this
///    partition's `manifest.part-IIII-of-NNNN.json`) and whose file has that
///    size and SHA-256 is kept without generating its samples;
/// 2. otherwise the samples are generated; a file already there that is
///    byte-identical to what they encode to is kept, anything else is
///    (re)written atomically.
///
/// After each shard the partition's manifest is rewritten atomically, so an
/// interrupted run loses at most the shard in progress. At the end a
/// one-partition run writes `manifest.json` and removes its partial file;
/// other partitions leave `manifest.part-IIII-of-NNNN.json` for
/// `Manifest.mergePartials(in:)`, whose result is byte-identical to the
/// single-process `manifest.json`.
///
/// Results never depend on how the work is partitioned: shard `s` holds the
/// samples `generate(s, plan.sampleRange(ofShard: s))` returns, written with
/// the same fixed `mtime`.
public struct DatasetWriter: Sendable {
  /// The dataset folder (created when missing).
  public let directory: String
  /// The shard plan.
  public let plan: ShardPlan
  /// The shards this process writes.
  public let partition: Partition
  /// Every generation setting, recorded in the manifest (its `parameters`).
  public let configuration: JSONValue
  /// The program writing the dataset, recorded in the manifest.
  public let tool: ToolInfo
  /// The modification time in every tar header.
  public let mtime: Int

  /// What `run` did.
  public struct Report: Sendable, Equatable {
    /// The partition's manifest (for a one-partition run, the complete
    /// `manifest.json`).
    public var manifest: Manifest
    /// The shards written by this run.
    public var written: [Int]
    /// The shards kept from an earlier run.
    public var kept: [Int]
  }

  /// Creates a writer; nothing touches the disk before `run`.
  public init(
    directory: String, plan: ShardPlan, partition: Partition = .whole, configuration: JSONValue, tool: ToolInfo,
    mtime: Int = 0
  ) {
    self.directory = directory
    self.plan = plan
    self.partition = partition
    self.configuration = configuration
    self.tool = tool
    self.mtime = mtime
  }

  /// The path of shard `shard`.
  public func path(ofShard shard: Int) -> String { directory + "/" + plan.fileName(ofShard: shard) }

  /// Writes the partition's shards that are not already complete and verified.
  ///
  /// - Parameter generate: the samples of shard `shard`, given the shard and
  ///   its global sample indices; called only for shards that must be
  ///   checked or written, in ascending order.
  /// - Throws: what `generate` throws; `ShardError` `.manifestConflict` when a
  ///   manifest in the folder has another tool, plan or parameters (use a new
  ///   folder, or remove the old dataset); or I/O errors.
  public func run(generate: (_ shard: Int, _ samples: Range<Int>) throws -> [ShardSample]) throws -> Report {
    try makeDirectory()
    let completePath = directory + "/" + Manifest.fileName
    let partialPath = directory + "/" + partition.manifestFileName
    // A killed run's temporary files: its shards and manifests, half written.
    let ownNames = Set(plan.shards(ownedBy: partition).map(plan.fileName(ofShard:)) + [partition.manifestFileName, Manifest.fileName])
    AtomicFile.removeLeftovers(in: directory, where: ownNames.contains)
    var known: [Int: ShardInfo] = [:]
    for path in [completePath, partialPath] where FileManager.default.fileExists(atPath: path) {
      let previous = try Manifest.read(from: path)
      try checkCompatible(previous, path: path)
      for shard in previous.shards where partition.owns(shard: shard.index) { known[shard.index] = shard }
    }

    var manifest = Manifest(tool: tool, plan: plan, partition: partition, configuration: configuration, shards: [])
    var written: [Int] = []
    var kept: [Int] = []
    for shard in plan.shards(ownedBy: partition) {
      let path = path(ofShard: shard)
      if let info = known[shard], (try? verify(shard: path, against: info)) != nil {
        manifest.record(info)
        kept.append(shard)
      } else {
        let samples = try generate(shard, plan.sampleRange(ofShard: shard))
        if FileManager.default.fileExists(atPath: path) {
          let expected = try ShardWriter.expectedInfo(
            of: samples, file: plan.fileName(ofShard: shard), index: shard, mtime: mtime)
          if (try? verify(shard: path, against: expected)) != nil {
            manifest.record(expected)
            kept.append(shard)
            try manifest.write(to: partialPath)
            continue
          }
        }
        manifest.record(try ShardWriter.write(samples, to: path, index: shard, mtime: mtime))
        written.append(shard)
      }
      try manifest.write(to: partialPath)
    }

    if partition.count == 1 {
      manifest.partition = nil
      try manifest.write(to: completePath)
      if FileManager.default.fileExists(atPath: partialPath) {
        try? FileManager.default.removeItem(atPath: partialPath)
      }
    } else {
      try manifest.write(to: partialPath)
    }
    return Report(manifest: manifest, written: written, kept: kept)
  }

  private func makeDirectory() throws {
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ShardError(.io, path: directory, "cannot create the folder")
    }
  }

  private func checkCompatible(_ previous: Manifest, path: String) throws {
    func conflict(_ what: String) -> ShardError {
      ShardError(
        .manifestConflict, path: path,
        "the dataset here was written with another \(what); use a new folder or remove the old dataset")
    }
    guard previous.tool == tool else {
      throw conflict("tool version (\(previous.tool.name) \(previous.tool.version), now \(tool.name) \(tool.version))")
    }
    guard previous.plan == plan else { throw conflict("plan") }
    if let difference = firstDifference(previous.configuration, configuration, at: "parameters") {
      throw conflict("value of \(difference)")
    }
  }
}

extension Manifest {
  /// Checks the size and SHA-256 of every listed shard in `directory`.
  /// - Throws: the first `ShardError` of `verify(shard:against:)`.
  /// - Complexity: O(total bytes).
  public func verifyShards(in directory: String) throws {
    for shard in shards { try verify(shard: directory + "/" + shard.file, against: shard) }
  }
}
