/// What the manifest records about one written shard.
public struct ShardInfo: Sendable, Hashable {
  /// The shard's index in the plan (0-based).
  public var index: Int
  /// The file name inside the dataset folder, e.g. `train-000003.tar`.
  public var file: String
  /// How many samples it holds.
  public var samples: Int
  /// Its size in bytes.
  public var bytes: Int
  /// Its SHA-256, 64 lowercase hex digits.
  public var sha256: String

  /// Creates a record.
  public init(index: Int, file: String, samples: Int, bytes: Int, sha256: String) {
    self.index = index
    self.file = file
    self.samples = samples
    self.bytes = bytes
    self.sha256 = sha256
  }
}
