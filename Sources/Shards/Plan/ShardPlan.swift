import _Support

/// How a dataset of `totalSamples` samples splits into shards of
/// `samplesPerShard`: shard `s` holds samples `s·M ..< min((s+1)·M, N)`, so
/// every shard is full except perhaps the last.
public struct ShardPlan: Sendable, Hashable {
  /// The dataset name, the stem of every shard file (`NAME-000000.tar`).
  public let name: String
  /// N: how many samples the dataset has.
  public let totalSamples: Int
  /// M: how many samples a full shard has.
  public let samplesPerShard: Int

  /// Creates a plan.
  /// - Parameters:
  ///   - name: not empty, printable ASCII without space, `/` or `\`, not
  ///     starting with `.` or `-`.
  ///   - totalSamples: N ≥ 0.
  ///   - samplesPerShard: M ≥ 1.
  /// - Throws: `ShardError` `.invalidPlan`.
  public init(name: String, totalSamples: Int, samplesPerShard: Int) throws {
    if let problem = ShardPlan.nameProblem(name) {
      throw ShardError(.invalidPlan, path: nil, "dataset name \(quoted(name)): \(problem)")
    }
    guard totalSamples >= 0 else {
      throw ShardError(.invalidPlan, path: nil, "the sample count \(totalSamples) is negative")
    }
    guard samplesPerShard >= 1 else {
      throw ShardError(.invalidPlan, path: nil, "samples per shard must be at least 1, not \(samplesPerShard)")
    }
    self.name = name
    self.totalSamples = totalSamples
    self.samplesPerShard = samplesPerShard
  }

  /// Why `name` cannot name a dataset, or nil.
  public static func nameProblem(_ name: String) -> String? {
    if name.isEmpty { return "empty" }
    if name.hasPrefix(".") || name.hasPrefix("-") { return "starts with '.' or '-'" }
    for byte in name.utf8 where !(0x21...0x7E).contains(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") {
      return "only printable ASCII without space, '/' or '\\' is allowed"
    }
    return nil
  }

  /// The number of shards: ⌈N / M⌉ (0 when N is 0).
  public var shardCount: Int { (totalSamples + samplesPerShard - 1) / samplesPerShard }

  /// The global sample indices of shard `shard`.
  /// - Precondition: `0 <= shard < shardCount`.
  public func sampleRange(ofShard shard: Int) -> Range<Int> {
    precondition((0..<shardCount).contains(shard), "shard \(shard) outside 0..<\(shardCount)")
    let start = shard * samplesPerShard
    return start..<min(start + samplesPerShard, totalSamples)
  }

  /// The shard that holds global sample `sample`.
  /// - Precondition: `0 <= sample < totalSamples`.
  public func shard(containingSample sample: Int) -> Int {
    precondition((0..<totalSamples).contains(sample), "sample \(sample) outside 0..<\(totalSamples)")
    return sample / samplesPerShard
  }

  /// The file name of shard `shard`: `NAME-` and the index in at least six
  /// digits, `.tar` (`train-000042.tar`).
  public func fileName(ofShard shard: Int) -> String {
    "\(name)-\(zeroPadded(shard, width: 6)).tar"
  }

  /// The shards partition `partition` writes, ascending: those `s` with
  /// `s % partition.count == partition.index`.
  public func shards(ownedBy partition: Partition) -> StrideTo<Int> {
    stride(from: partition.index, to: shardCount, by: partition.count)
  }
}

/// `value` in decimal, left-padded with zeros to `width` digits.
func zeroPadded(_ value: Int, width: Int) -> String {
  precondition(value >= 0)
  let digits = String(value)
  return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
