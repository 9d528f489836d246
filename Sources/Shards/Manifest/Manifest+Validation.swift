import _Support

extension Manifest {
  /// Builds a manifest from its JSON form, checking every field.
  ///
  /// Checked: the format version; the known fields only, each with its type;
  /// the plan (and that `shardCount` matches it); each shard's index (in the
  /// plan, in the partition, ascending, not repeated), file name (the
  /// plan's), counts (non-negative) and SHA-256 (64 lowercase hex digits);
  /// and that `totals` add up.
  /// - Throws: `ShardError` `.invalidManifest` (or `.duplicateShard`) naming
  ///   `path` and the field, e.g. `field shards[2].sha256: …`.
  public init(json: JSONValue, path: String?) throws {
    let reader = FieldReader(path: path)
    let top = try reader.object(json, "the manifest", keys: [
      "formatVersion", "tool", "plan", "partition", "parameters", "shards", "totals",
    ], required: ["formatVersion", "tool", "plan", "parameters", "shards", "totals"])

    let version = try reader.int(top["formatVersion"]!, "formatVersion")
    guard version == Manifest.currentFormatVersion else {
      throw reader.error(
        "formatVersion",
        "format version \(version) is not supported (this library reads \(Manifest.currentFormatVersion))")
    }

    let tool = try reader.object(top["tool"]!, "tool", keys: ["name", "version"])
    let toolInfo = ToolInfo(
      name: try reader.string(tool["name"]!, "tool.name"), version: try reader.string(tool["version"]!, "tool.version"))

    let planJSON = try reader.object(
      top["plan"]!, "plan", keys: ["name", "totalSamples", "samplesPerShard", "shardCount"])
    let plan: ShardPlan
    do {
      plan = try ShardPlan(
        name: try reader.string(planJSON["name"]!, "plan.name"),
        totalSamples: try reader.int(planJSON["totalSamples"]!, "plan.totalSamples"),
        samplesPerShard: try reader.int(planJSON["samplesPerShard"]!, "plan.samplesPerShard"))
    } catch let error as ShardError where error.code == .invalidPlan {
      throw reader.error("plan", error.reason)
    }
    let shardCount = try reader.int(planJSON["shardCount"]!, "plan.shardCount")
    guard shardCount == plan.shardCount else {
      throw reader.error(
        "plan.shardCount",
        "\(shardCount) does not match \(plan.totalSamples) samples at \(plan.samplesPerShard) per shard "
          + "(\(plan.shardCount))")
    }

    var partition: Partition?
    if let value = top["partition"] {
      let object = try reader.object(value, "partition", keys: ["index", "count"])
      let index = try reader.int(object["index"]!, "partition.index")
      let count = try reader.int(object["count"]!, "partition.count")
      do {
        partition = try Partition(index: index, count: count)
      } catch let error as ShardError {
        throw reader.error("partition", error.reason)
      }
    }

    guard case .array(let shardValues) = top["shards"]! else { throw reader.error("shards", "expected an array") }
    var shards: [ShardInfo] = []
    for (i, value) in shardValues.enumerated() {
      let field = "shards[\(i)]"
      let object = try reader.object(value, field, keys: ["index", "file", "samples", "bytes", "sha256"])
      let index = try reader.int(object["index"]!, field + ".index")
      guard (0..<plan.shardCount).contains(index) else {
        throw reader.error(field + ".index", "shard \(index) is outside the plan's 0..<\(plan.shardCount)")
      }
      if let last = shards.last, index <= last.index {
        if index == last.index {
          throw ShardError(.duplicateShard, path: path, "field \(field).index: shard \(index) is listed twice")
        }
        throw reader.error(field + ".index", "shards are not in ascending index order (\(index) after \(last.index))")
      }
      if let partition, !partition.owns(shard: index) {
        throw reader.error(
          field + ".index", "shard \(index) does not belong to partition \(partition.index) of \(partition.count)")
      }
      let file = try reader.string(object["file"]!, field + ".file")
      guard file == plan.fileName(ofShard: index) else {
        let planned = quoted(plan.fileName(ofShard: index))
        throw reader.error(field + ".file", "\(quoted(file)) is not the plan's name \(planned)")
      }
      let samples = try reader.count(object["samples"]!, field + ".samples")
      let bytes = try reader.count(object["bytes"]!, field + ".bytes")
      let sha = try reader.string(object["sha256"]!, field + ".sha256")
      guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
        throw reader.error(field + ".sha256", "expected 64 lowercase hex digits, got \(quoted(sha))")
      }
      shards.append(ShardInfo(index: index, file: file, samples: samples, bytes: bytes, sha256: sha))
    }

    self.init(tool: toolInfo, plan: plan, partition: partition, configuration: top["parameters"]!, shards: shards)

    let totals = try reader.object(top["totals"]!, "totals", keys: ["samples", "bytes", "shards"])
    for (key, expected) in [("samples", totalSamples), ("bytes", totalBytes), ("shards", shards.count)] {
      let value = try reader.int(totals[key]!, "totals." + key)
      guard value == expected else {
        throw reader.error("totals.\(key)", "\(value) does not match the shards' sum \(expected)")
      }
    }
  }
}

/// Typed access to manifest fields, with errors naming the file and field.
private struct FieldReader {
  let path: String?

  func error(_ field: String, _ reason: String) -> ShardError {
    ShardError(.invalidManifest, path: path, "field \(field): \(reason)")
  }

  func object(
    _ value: JSONValue, _ field: String, keys: Set<String>, required: Set<String>? = nil
  ) throws -> [String: JSONValue] {
    guard case .object(let members) = value else { throw error(field, "expected an object") }
    let prefix = field == "the manifest" ? "" : field + "."
    for key in members.keys.sorted() where !keys.contains(key) {
      throw error(prefix + key, "unknown field")
    }
    for key in (required ?? keys).sorted() where members[key] == nil {
      throw error(prefix + key, "missing")
    }
    return members
  }

  func string(_ value: JSONValue, _ field: String) throws -> String {
    guard case .string(let text) = value else { throw error(field, "expected a string") }
    return text
  }

  func int(_ value: JSONValue, _ field: String) throws -> Int {
    guard case .int(let number) = value, let result = Int(exactly: number) else {
      throw error(field, "expected an integer")
    }
    return result
  }

  func count(_ value: JSONValue, _ field: String) throws -> Int {
    let number = try int(value, field)
    guard number >= 0 else { throw error(field, "\(number) is negative") }
    return number
  }
}
