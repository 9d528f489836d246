import Foundation
import _Support

extension Manifest {
  /// Joins partition manifests into the whole-dataset manifest, identical
  /// (and so byte-identical when encoded) to what one process writes.
  ///
  /// Checks that the partials agree on format version, tool, plan and
  /// parameters, that no shard appears twice, and that every shard
  /// `0 ..< expectedShardCount` is present.
  ///
  /// - Parameters:
  ///   - partials: the partition manifests, in any order (whole-dataset
  ///     manifests are accepted too).
  ///   - expectedShardCount: the number of shards the dataset must have;
  ///     nil for the plan's `shardCount` (a given value must match it).
  /// - Throws: `ShardError` `.manifestConflict`, `.duplicateShard` or
  ///   `.missingShards` (listing the missing indices).
  /// - Complexity: O(total shards · log).
  public static func merge(_ partials: [Manifest], expectedShardCount: Int? = nil) throws -> Manifest {
    try merge(partials, labels: partials.map(\.label), expectedShardCount: expectedShardCount)
  }

  /// Reads the manifests at `paths` and merges them as
  /// `merge(_:expectedShardCount:)`, naming the files in errors.
  public static func merge(partialsAt paths: [String], expectedShardCount: Int? = nil) throws -> Manifest {
    let partials = try paths.map { try Manifest.read(from: $0) }
    return try merge(partials, labels: paths, expectedShardCount: expectedShardCount)
  }

  /// The partition manifests in `directory` (`manifest.part-*-of-*.json`),
  /// sorted by name.
  public static func partialPaths(in directory: String) throws -> [String] {
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw ShardError(.io, path: directory, "cannot list the folder")
    }
    return names.filter { isPartialFileName($0) }.sorted().map { directory + "/" + $0 }
  }

  /// Merges the partition manifests in `directory` and writes the result to
  /// `directory/manifest.json` atomically; the partial files stay.
  ///
  /// Every `manifest.part-*-of-*.json` in the folder takes part, so partial
  /// manifests left from a run with another partition count make the merge
  /// fail (duplicate shards) until they are removed.
  /// - Returns: the merged manifest.
  public static func mergePartials(in directory: String, expectedShardCount: Int? = nil) throws -> Manifest {
    let paths = try partialPaths(in: directory)
    guard !paths.isEmpty else {
      throw ShardError(.missingShards, path: directory, "no partition manifests (manifest.part-*-of-*.json) to merge")
    }
    let merged = try merge(partialsAt: paths, expectedShardCount: expectedShardCount)
    try merged.write(to: directory + "/" + Manifest.fileName)
    return merged
  }

  private var label: String {
    partition.map { "the manifest of partition \($0.index) of \($0.count)" } ?? "a whole-dataset manifest"
  }

  /// Whether `name` is `manifest.part-DIGITS-of-DIGITS.json`.
  static func isPartialFileName(_ name: String) -> Bool {
    let prefix = "manifest.part-"
    let suffix = ".json"
    guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count > prefix.count + suffix.count else { return false }
    let middle = name.dropFirst(prefix.count).dropLast(suffix.count)
    let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
    return parts.count == 3 && parts[1] == "of"
      && [parts[0], parts[2]].allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
  }

  private static func merge(_ partials: [Manifest], labels: [String], expectedShardCount: Int?) throws -> Manifest {
    guard let first = partials.first else {
      throw ShardError(.missingShards, path: nil, "no manifests to merge")
    }
    for (partial, label) in zip(partials, labels).dropFirst() {
      func conflict(_ what: String) -> ShardError {
        ShardError(.manifestConflict, path: label, "\(what) differs from \(labels[0])")
      }
      guard partial.formatVersion == first.formatVersion else { throw conflict("formatVersion") }
      guard partial.tool == first.tool else {
        throw conflict("tool (\(partial.tool.name) \(partial.tool.version) vs \(first.tool.name) \(first.tool.version))")
      }
      guard partial.plan == first.plan else { throw conflict("plan") }
      if let difference = firstDifference(partial.configuration, first.configuration, at: "parameters") {
        throw conflict(difference)
      }
    }
    let expected = expectedShardCount ?? first.plan.shardCount
    guard expected == first.plan.shardCount else {
      throw ShardError(
        .manifestConflict, path: labels[0],
        "the plan has \(first.plan.shardCount) shards, \(expected) were expected")
    }
    var owner: [Int: Int] = [:]
    var shards: [ShardInfo] = []
    for (p, partial) in partials.enumerated() {
      for shard in partial.shards {
        if let other = owner.updateValue(p, forKey: shard.index) {
          throw ShardError(
            .duplicateShard, path: labels[p], "shard \(shard.index) (\(shard.file)) is also listed by \(labels[other])")
        }
        shards.append(shard)
      }
    }
    let missing = (0..<expected).filter { owner[$0] == nil }
    guard missing.isEmpty else {
      throw ShardError(
        .missingShards, path: nil,
        "\(missing.count) of \(expected) shards missing: \(rangeList(missing))")
    }
    return Manifest(tool: first.tool, plan: first.plan, partition: nil, configuration: first.configuration, shards: shards)
  }
}

/// The path and values of the first difference between two JSON values, or nil.
func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String) -> String? {
  if a == b { return nil }
  switch (a, b) {
  case let (.object(x), .object(y)):
    for key in Set(x.keys).union(y.keys).sorted() {
      switch (x[key], y[key]) {
      case let (u?, v?):
        if let difference = firstDifference(u, v, at: path + "." + key) { return difference }
      case (nil, _?): return "\(path).\(key) (absent here)"
      case (_?, nil): return "\(path).\(key) (absent there)"
      case (nil, nil): break
      }
    }
  case let (.array(x), .array(y)) where x.count == y.count:
    for (i, (u, v)) in zip(x, y).enumerated() {
      if let difference = firstDifference(u, v, at: "\(path)[\(i)]") { return difference }
    }
  default: break
  }
  return "\(path) (\(a.serialized(indent: 0)) vs \(b.serialized(indent: 0)))"
}

/// Sorted indices as ranges: `[3, 7, 8, 9]` → `3, 7-9`.
func rangeList(_ sorted: [Int]) -> String {
  var parts: [String] = []
  var i = 0
  while i < sorted.count {
    var j = i
    while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
    parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
    i = j + 1
  }
  return parts.joined(separator: ", ")
}
