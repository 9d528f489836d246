import _Support

/// The name and version of the program that wrote a dataset.
public struct ToolInfo: Sendable, Hashable {
  /// The program, e.g. `unet`.
  public var name: String
  /// Its version, e.g. `0.1.0`.
  public var version: String

  /// Creates a tool record.
  public init(name: String, version: String) {
    self.name = name
    self.version = version
  }
}

/// The table of contents of a shard dataset, `DIR/manifest.json`: every
/// shard with its sample count, size and SHA-256, the plan, the generation
/// parameters and the tool version.
///
/// A partition's manifest (`partition` set, written as
/// `manifest.part-IIII-of-NNNN.json`) lists only that partition's shards;
/// `merge(_:expectedShardCount:)` joins them into the manifest a single
/// process writes, byte for byte.
///
/// The file is JSON with sorted keys, two-space indent and a final newline
/// (see `encoded()`):
///
/// ```json
/// {
///   "formatVersion": 1,
///   "parameters": {
///     "seed": 42
///   },
///   "plan": {
///     "name": "train",
///     "samplesPerShard": 2,
///     "shardCount": 2,
///     "totalSamples": 3
///   },
///   "shards": [
///     {
///       "bytes": 3072,
///       "file": "train-000000.tar",
///       "index": 0,
///       "samples": 2,
///       "sha256": "…64 hex digits…"
///     },
///     …
///   ],
///   "tool": {
///     "name": "unet",
///     "version": "0.1.0"
///   },
///   "totals": {
///     "bytes": 5120,
///     "samples": 3,
///     "shards": 2
///   }
/// }
/// ```
///
/// A partition's manifest has, in addition,
/// `"partition": {"count": 8, "index": 3}` between `parameters` and `plan`.
public struct Manifest: Sendable, Equatable {
  /// The format version this library writes and reads.
  public static let currentFormatVersion = 1
  /// The complete manifest's file name inside the dataset folder.
  public static let fileName = "manifest.json"

  /// The manifest format version.
  public var formatVersion: Int
  /// The program that wrote the dataset.
  public var tool: ToolInfo
  /// The dataset's shard plan.
  public var plan: ShardPlan
  /// The partition that wrote this manifest, or nil for the whole dataset.
  public var partition: Partition?
  /// Every generation setting, as the caller gave them (`parameters` in the
  /// file); a UNetKit dataset's are a ``DatasetDescription``, read with
  /// ``datasetDescription(path:)``.
  public var configuration: JSONValue
  /// The shards, ascending by index.
  public private(set) var shards: [ShardInfo]

  /// Creates a manifest; `shards` are sorted by index.
  /// - Precondition: no two shards share an index, and each index is in the
  ///   plan (and owned by `partition` when given).
  public init(
    tool: ToolInfo, plan: ShardPlan, partition: Partition? = nil, configuration: JSONValue,
    shards: [ShardInfo]
  ) {
    self.formatVersion = Manifest.currentFormatVersion
    self.tool = tool
    self.plan = plan
    self.partition = partition
    self.configuration = configuration
    self.shards = shards.sorted { $0.index < $1.index }
    for (a, b) in zip(self.shards, self.shards.dropFirst()) {
      precondition(a.index != b.index, "shard \(a.index) listed twice")
    }
    for shard in self.shards {
      precondition((0..<plan.shardCount).contains(shard.index), "shard \(shard.index) outside the plan")
      precondition(partition?.owns(shard: shard.index) ?? true, "shard \(shard.index) not in the partition")
    }
  }

  /// Adds or replaces the record of shard `info.index`, keeping the order.
  public mutating func record(_ info: ShardInfo) {
    precondition((0..<plan.shardCount).contains(info.index), "shard \(info.index) outside the plan")
    if let i = shards.firstIndex(where: { $0.index == info.index }) {
      shards[i] = info
    } else {
      shards.append(info)
      shards.sort { $0.index < $1.index }
    }
  }

  /// The record of shard `index`, or nil.
  public func shard(_ index: Int) -> ShardInfo? { shards.first { $0.index == index } }

  /// The sum of the shards' sample counts.
  public var totalSamples: Int { shards.reduce(0) { $0 + $1.samples } }
  /// The sum of the shards' sizes in bytes.
  public var totalBytes: Int { shards.reduce(0) { $0 + $1.bytes } }

  /// Whether this is a whole-dataset manifest listing every planned shard.
  public var isComplete: Bool {
    partition == nil && shards.count == plan.shardCount
  }

  /// The manifest as a JSON value (the layout shown above).
  public var json: JSONValue {
    var top: [String: JSONValue] = [
      "formatVersion": .int(Int64(formatVersion)),
      "tool": ["name": .string(tool.name), "version": .string(tool.version)],
      "plan": [
        "name": .string(plan.name),
        "totalSamples": .int(Int64(plan.totalSamples)),
        "samplesPerShard": .int(Int64(plan.samplesPerShard)),
        "shardCount": .int(Int64(plan.shardCount)),
      ],
      "parameters": configuration,
      "shards": .array(
        shards.map {
          [
            "index": .int(Int64($0.index)), "file": .string($0.file), "samples": .int(Int64($0.samples)),
            "bytes": .int(Int64($0.bytes)), "sha256": .string($0.sha256),
          ]
        }),
      "totals": [
        "samples": .int(Int64(totalSamples)), "bytes": .int(Int64(totalBytes)),
        "shards": .int(Int64(shards.count)),
      ],
    ]
    if let partition {
      top["partition"] = ["index": .int(Int64(partition.index)), "count": .int(Int64(partition.count))]
    }
    return .object(top)
  }

  /// The manifest file's bytes: `json` serialized with sorted keys and a
  /// two-space indent, plus a final newline. Equal manifests give equal bytes.
  public func encoded() -> [UInt8] {
    Array((json.serialized(indent: 2) + "\n").utf8)
  }

  /// Writes the manifest to `path` atomically (temporary file, then rename).
  public func write(to path: String) throws {
    try writeAtomically(encoded(), to: path)
  }

  /// Reads and validates the manifest at `path`.
  /// - Throws: `ShardError` `.notFound`, `.io`, or `.invalidManifest` naming
  ///   the file and the bad field.
  public static func read(from path: String) throws -> Manifest {
    let bytes: [UInt8]
    do {
      bytes = try readFile(path)
    } catch let error as FileError {
      throw ShardError(error)
    }
    return try decode(bytes, path: path)
  }

  /// Parses and validates manifest bytes; `path` is named in errors.
  public static func decode(_ bytes: [UInt8], path: String? = nil) throws -> Manifest {
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes, path: path)
    } catch {
      throw ShardError(error)
    }
    return try Manifest(json: json, path: path)
  }
}

extension Manifest: Codable {
  /// Decodes through `JSONValue` and validates as `init(json:path:)`.
  public init(from decoder: any Decoder) throws {
    try self.init(json: JSONValue(from: decoder), path: nil)
  }

  /// Encodes `json`.
  public func encode(to encoder: any Encoder) throws {
    try json.encode(to: encoder)
  }
}
