import _Support

/// Writing a file tensor by tensor: the header first (it needs only the
/// names, shapes and dtypes), then each tensor's data as it is produced, so
/// that at most one tensor's values are in memory besides the caller's own.
/// A checkpoint of the paper's network with Adam's state is 372 MB; written
/// this way it costs one tensor (at most 38 MB) instead of the whole file.
extension SafeTensors {
  /// What a file's header records of one tensor: name, shape and dtype.
  public struct Entry: Sendable, Equatable {
    public var name: String
    /// The dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    public var dtype: Tensor.DType

    public init(name: String, shape: [Int], dtype: Tensor.DType = .f32) {
      self.name = name
      self.shape = shape
      self.dtype = dtype
    }

    /// The number of elements the shape holds.
    var count: Int { shape.reduce(1, *) }
    /// The bytes of the data.
    var dataBytes: Int { dtype.bytes * count }
  }

  /// Writes a file atomically, tensor by tensor: the header of `metadata`
  /// and `entries`, then, in the entries' order, the data of `tensor(i)`,
  /// which must have entry i's name, shape and dtype and as many values as
  /// the shape holds. The bytes equal `encoded()` of the same tensors.
  ///
  /// Each tensor is asked for once, written, and released before the next:
  /// the memory this takes is the largest tensor's, not the file's. The
  /// data go to a temporary file beside `path`, flushed to storage and
  /// renamed onto `path` once complete; on any failure (a write, or a
  /// `tensor` that throws or does not match its entry) the temporary file is
  /// removed and `path` is left as it was.
  /// - Throws: `FileError` `.unsupported` for entries that cannot be written
  ///   (a duplicate or reserved name, a negative dimension) or a tensor that
  ///   does not match its entry, `.io` when the write fails; and what
  ///   `tensor` throws.
  /// - Complexity: O(file size) time; O(1) memory beyond the header and the
  ///   tensor being written.
  public static func write(
    to path: String, metadata: [String: String], entries: [Entry], tensor: (Int) throws -> Tensor
  ) throws {
    try write(to: path, metadata: metadata, entries: entries) { index, write in
      let tensor = try tensor(index)
      let entry = entries[index]
      guard tensor.entry == entry else {
        throw FileError(
          .unsupported, path: path,
          "cannot write: tensor \(quoted(tensor.name)) \(tensor.dtype.rawValue) \(tensor.shape) is not the header's "
            + "\(quoted(entry.name)) \(entry.dtype.rawValue) \(entry.shape)")
      }
      if let problem = tensor.valueProblem { throw FileError(.unsupported, path: path, "cannot write: \(problem)") }
      try tensor.withDataBytes(write)
    }
  }

  /// Writes a file atomically as `write(to:metadata:entries:tensor:)` does,
  /// each tensor's data handed over in pieces rather than as a `Tensor`:
  /// `data(i, write)` passes entry i's data, as the file stores them
  /// (`withDataBytes(of:_:)` for float32 values), to `write` in order, in
  /// pieces of any size, and returns once it has passed them all. So a
  /// tensor can go to the file from memory its owner lends (a network's
  /// weights are converted in its idle workspace) or block by block,
  /// without a copy of its own.
  /// - Throws: as `write(to:metadata:entries:tensor:)`, and `.unsupported`
  ///   when the pieces of a tensor are more or fewer bytes than its entry
  ///   announces.
  /// - Complexity: O(file size) time; O(1) memory beyond the header.
  public static func write(
    to path: String, metadata: [String: String], entries: [Entry],
    data: (Int, _ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
  ) throws {
    var seen: Set<String> = []
    for entry in entries {
      if let problem = problem(of: entry, seen: &seen) {
        throw FileError(.unsupported, path: path, "cannot write: \(problem)")
      }
    }
    try AtomicFile.write(to: path) { file in
      try header(metadata: metadata, entries: entries).withUnsafeBytes { try file.write($0) }
      for (index, entry) in entries.enumerated() {
        var bytes = 0
        try data(index) { piece in
          bytes += piece.count
          guard bytes <= entry.dataBytes else { return }
          try file.write(piece)
        }
        guard bytes == entry.dataBytes else {
          throw FileError(
            .unsupported, path: path,
            "cannot write: tensor \(quoted(entry.name)) has \(bytes) bytes of data for \(entry.dtype.rawValue) "
              + "\(entry.shape) (\(entry.dataBytes) bytes)")
        }
      }
    }
  }

  /// Calls `body` with `values` as a file stores them (little-endian
  /// float32), in one piece on a little-endian machine, in pieces of 64 KiB
  /// elsewhere.
  public static func withDataBytes(
    of values: UnsafeBufferPointer<Float>, _ body: (UnsafeRawBufferPointer) throws -> Void
  ) rethrows {
    #if _endian(little)
      try body(UnsafeRawBufferPointer(values))
    #else
      try Tensor.littleEndianPieces(values.lazy.map(\.bitPattern), body)
    #endif
  }

  /// The 8-byte little-endian header length and the header: JSON with
  /// sorted keys and no whitespace, padded with spaces to a multiple of 8
  /// bytes; data offsets contiguous in the entries' order.
  static func header(metadata: [String: String], entries: [Entry]) -> [UInt8] {
    var header: [String: JSONValue] = [:]
    if !metadata.isEmpty { header["__metadata__"] = .object(metadata.mapValues { .string($0) }) }
    var offset = 0
    for entry in entries {
      let end = offset + entry.dataBytes
      header[entry.name] = [
        "dtype": .string(entry.dtype.rawValue),
        "shape": .array(entry.shape.map { .int(Int64($0)) }),
        "data_offsets": [.int(Int64(offset)), .int(Int64(end))],
      ]
      offset = end
    }
    var json = Array(JSONValue.object(header).serialized(indent: 0).utf8)
    json += [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
    var out: [UInt8] = []
    out.reserveCapacity(8 + json.count)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
    return out + json
  }

  /// Why an entry cannot be written beside the names in `seen` (to which
  /// its name is added), or nil.
  static func problem(of entry: Entry, seen: inout Set<String>) -> String? {
    if entry.name == "__metadata__" { return "the tensor name \"__metadata__\" is reserved" }
    guard seen.insert(entry.name).inserted else { return "duplicate tensor name \(quoted(entry.name))" }
    if entry.shape.contains(where: { $0 < 0 }) {
      return "tensor \(quoted(entry.name)) has a negative dimension in \(entry.shape)"
    }
    return nil
  }
}

extension SafeTensors.Tensor {
  /// The header's record of this tensor.
  public var entry: SafeTensors.Entry { SafeTensors.Entry(name: name, shape: shape, dtype: dtype) }

  /// Why the values do not fit the dtype and shape, or nil.
  var valueProblem: String? {
    if (dtype == .f32 ? integers.count : values.count) != 0 {
      return "tensor \(quoted(name)) of dtype \(dtype.rawValue) holds elements of the other dtype"
    }
    if count != shape.reduce(1, *) { return "tensor \(quoted(name)) has \(count) values for shape \(shape)" }
    return nil
  }

  /// Calls `body` with the data as the file stores it (little-endian), in
  /// one piece on a little-endian machine, in pieces of 64 KiB elsewhere.
  func withDataBytes(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
    switch dtype {
    case .f32: try values.withUnsafeBufferPointer { try SafeTensors.withDataBytes(of: $0, body) }
    case .i64:
      #if _endian(little)
        try integers.withUnsafeBytes(body)
      #else
        try Self.littleEndianPieces(integers, body)
      #endif
    }
  }

  /// Calls `body` with `elements` in little-endian order, 64 KiB at a time.
  static func littleEndianPieces<T: FixedWidthInteger>(
    _ elements: some Collection<T>, _ body: (UnsafeRawBufferPointer) throws -> Void
  ) rethrows {
    let size = 65536 / MemoryLayout<T>.size
    var piece: [T] = []
    piece.reserveCapacity(size)
    for element in elements {
      piece.append(element.littleEndian)
      if piece.count == size {
        try piece.withUnsafeBytes(body)
        piece.removeAll(keepingCapacity: true)
      }
    }
    if !piece.isEmpty { try piece.withUnsafeBytes(body) }
  }
}
