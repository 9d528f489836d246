import _Support

/// The SHA-256 of `bytes` as 64 lowercase hex digits.
public func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
  var hasher = SHA256()
  hasher.update(Array(bytes))
  return hexString(hasher.finalize())
}

/// The size and SHA-256 (64 lowercase hex digits) of the file at `path`,
/// read in 1 MiB chunks.
/// - Complexity: O(file size) time, O(1) memory.
public func sha256(ofFileAt path: String) throws -> (bytes: Int, sha256: String) {
  let file = try openShardInput(path)
  return try digest(of: file)
}

private func digest(of file: InputFile) throws -> (bytes: Int, sha256: String) {
  var hasher = SHA256()
  var total = 0
  var chunk = [UInt8](repeating: 0, count: 1 << 20)
  while true {
    let n = try chunk.withUnsafeMutableBytes { try read(file, into: $0) }
    if n == 0 { break }
    chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    total += n
  }
  return (total, hexString(hasher.finalize()))
}

/// Checks that the shard at `path` has the size and SHA-256 of `expected`.
///
/// The size is compared first, so a wrong-sized file is rejected without
/// reading it.
/// - Throws: `ShardError` `.checksumMismatch` naming the file and both
///   values, `.notFound` or `.io`.
/// - Complexity: O(file size) time, O(1) memory.
public func verify(shard path: String, against expected: ShardInfo) throws {
  let file = try openShardInput(path)
  guard file.size == expected.bytes else {
    throw ShardError(
      .checksumMismatch, path: path,
      "size \(file.size) bytes, the manifest says \(expected.bytes)")
  }
  let actual = try digest(of: file)
  guard actual.bytes == expected.bytes else {
    throw ShardError(
      .checksumMismatch, path: path, "size \(actual.bytes) bytes, the manifest says \(expected.bytes)")
  }
  guard actual.sha256 == expected.sha256 else {
    throw ShardError(
      .checksumMismatch, path: path, "SHA-256 \(actual.sha256), the manifest says \(expected.sha256)")
  }
}
