import _Support

/// One of `count` processes that write a dataset together: partition `index`
/// writes the shards `s` with `s % count == index`, under the same file
/// names as a single process.
public struct Partition: Sendable, Hashable {
  /// This process's partition, `0 ..< count`.
  public let index: Int
  /// How many partitions there are.
  public let count: Int

  /// The whole dataset in one process: partition 0 of 1.
  public static let whole = Partition(uncheckedIndex: 0, count: 1)

  /// Creates a partition.
  /// - Throws: `ShardError` `.invalidPlan` unless `count >= 1` and
  ///   `0 <= index < count`.
  public init(index: Int, count: Int) throws {
    guard count >= 1 else {
      throw ShardError(.invalidPlan, path: nil, "the number of partitions must be at least 1, not \(count)")
    }
    guard (0..<count).contains(index) else {
      throw ShardError(.invalidPlan, path: nil, "partition index \(index) is outside 0..<\(count)")
    }
    self.index = index
    self.count = count
  }

  private init(uncheckedIndex index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  /// Whether this partition writes shard `shard`.
  public func owns(shard: Int) -> Bool { shard % count == index }

  /// The file name of this partition's manifest: `manifest.part-0003-of-0008.json`.
  public var manifestFileName: String {
    "manifest.part-\(zeroPadded(index, width: 4))-of-\(zeroPadded(count, width: 4)).json"
  }

  /// Resolves this process's partition from explicit values or the
  /// environment of a scheduler's array job, in this order:
  ///
  /// 1. `shardIndex` given: partition `shardIndex` of `numShards` (which is
  ///    then required).
  /// 2. `SLURM_ARRAY_TASK_ID` set (Slurm job array): index
  ///    `(ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP` (min 0 and
  ///    step 1 when unset, so `--array=1-8` works), count
  ///    `SLURM_ARRAY_TASK_COUNT`, or `numShards` when given (they must agree
  ///    when both are).
  /// 3. `JOB_COMPLETION_INDEX` set (Kubernetes indexed Job): that index, of
  ///    `numShards`, which is then required (the Job's `completions`).
  /// 4. Otherwise the whole dataset (`numShards` must then be nil or 1).
  ///
  /// - Parameters:
  ///   - shardIndex: `--shard-index`, if given.
  ///   - numShards: `--num-shards`, if given.
  ///   - environment: the process environment
  ///     (`ProcessInfo.processInfo.environment`).
  /// - Throws: `ShardError` `.invalidPlan` naming the variable or option at fault.
  public static func resolve(
    shardIndex: Int?, numShards: Int?, environment: [String: String]
  ) throws -> Partition {
    if let shardIndex {
      guard let numShards else {
        throw ShardError(.invalidPlan, path: nil, "--shard-index \(shardIndex) needs --num-shards")
      }
      return try Partition(index: shardIndex, count: numShards)
    }
    func integer(_ name: String) throws -> Int? {
      guard let text = environment[name] else { return nil }
      guard let value = Int(text.trimmingSpaces) else {
        throw ShardError(.invalidPlan, path: nil, "\(name)=\(quoted(text)) is not an integer")
      }
      return value
    }
    if let id = try integer("SLURM_ARRAY_TASK_ID") {
      let min = try integer("SLURM_ARRAY_TASK_MIN") ?? 0
      let step = try integer("SLURM_ARRAY_TASK_STEP") ?? 1
      guard step >= 1 else { throw ShardError(.invalidPlan, path: nil, "SLURM_ARRAY_TASK_STEP=\(step) is not positive") }
      guard id >= min, (id - min) % step == 0 else {
        throw ShardError(
          .invalidPlan, path: nil,
          "SLURM_ARRAY_TASK_ID=\(id) is not SLURM_ARRAY_TASK_MIN=\(min) plus a multiple of SLURM_ARRAY_TASK_STEP=\(step)")
      }
      let slurmCount = try integer("SLURM_ARRAY_TASK_COUNT")
      if let numShards, let slurmCount, numShards != slurmCount {
        throw ShardError(
          .invalidPlan, path: nil, "--num-shards \(numShards) disagrees with SLURM_ARRAY_TASK_COUNT=\(slurmCount)")
      }
      guard let count = numShards ?? slurmCount else {
        throw ShardError(
          .invalidPlan, path: nil, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --num-shards")
      }
      let index = (id - min) / step
      guard index < count else {
        throw ShardError(
          .invalidPlan, path: nil,
          "SLURM_ARRAY_TASK_ID=\(id) gives partition \(index), outside 0..<\(count) (is the array a regular range?)")
      }
      return try Partition(index: index, count: count)
    }
    if let index = try integer("JOB_COMPLETION_INDEX") {
      guard let numShards else {
        throw ShardError(
          .invalidPlan, path: nil, "JOB_COMPLETION_INDEX is set; give --num-shards (the Job's completions)")
      }
      guard (0..<max(numShards, 1)).contains(index) else {
        throw ShardError(.invalidPlan, path: nil, "JOB_COMPLETION_INDEX=\(index) is outside 0..<\(numShards)")
      }
      return try Partition(index: index, count: numShards)
    }
    if let numShards, numShards != 1 {
      throw ShardError(
        .invalidPlan, path: nil,
        "--num-shards \(numShards) without --shard-index, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
    }
    return .whole
  }
}

extension String {
  fileprivate var trimmingSpaces: Substring {
    let scalars = unicodeScalars
    let start = scalars.firstIndex { $0 != " " } ?? scalars.endIndex
    let end = scalars.lastIndex { $0 != " " }.map { scalars.index(after: $0) } ?? start
    return Substring(scalars[start..<max(start, end)])
  }
}
