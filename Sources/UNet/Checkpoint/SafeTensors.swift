import Foundation
import _Support

/// Named float tensors in Hugging Face's safetensors format, the format of
/// the checkpoints, readable by PyTorch, NumPy and JAX.
///
/// A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// mapping each tensor name to `{"dtype", "shape", "data_offsets"}` (offsets
/// relative to the data buffer, which follows the header) and an optional
/// `"__metadata__"` object of strings, then the data buffer. `F32` tensors
/// (every weight) and `I64` tensors (PyTorch's `num_batches_tracked`) are
/// read and written, little-endian, C (row-major) order.
///
/// Writing is deterministic: header keys sorted, no whitespace, padded with
/// spaces to a multiple of 8 bytes, data contiguous in tensor order. Reading
/// is strict: anything the format does not allow, or that this type does not
/// support, throws a `FileError` naming the file and the reason.
public struct SafeTensors: Sendable, Equatable {
  /// One named tensor.
  public struct Tensor: Sendable, Equatable {
    /// The element types read and written.
    public enum DType: String, Sendable {
      case f32 = "F32"
      case i64 = "I64"

      var bytes: Int { self == .f32 ? 4 : 8 }
    }

    /// The name, e.g. `down.0.0.weight`.
    public var name: String
    /// The dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    public var dtype: DType
    /// The elements of an `F32` tensor in row-major order;
    /// `shape.reduce(1, *)` of them (empty for `I64`).
    public var values: [Float]
    /// The elements of an `I64` tensor (empty for `F32`).
    public var integers: [Int64]

    /// An `F32` tensor.
    public init(name: String, shape: [Int], values: [Float]) {
      self.name = name
      self.shape = shape
      dtype = .f32
      self.values = values
      integers = []
    }

    /// An `I64` tensor.
    public init(name: String, shape: [Int], integers: [Int64]) {
      self.name = name
      self.shape = shape
      dtype = .i64
      values = []
      self.integers = integers
    }

    /// The number of elements held.
    var count: Int { dtype == .f32 ? values.count : integers.count }
  }

  /// Free-form string pairs stored under `"__metadata__"` (omitted when empty).
  public var metadata: [String: String]
  /// The tensors: written in this order; read back in data-offset order
  /// (which is the written order, except that empty tensors sharing an
  /// offset come back sorted by name).
  public var tensors: [Tensor]

  /// Header lengths above this are rejected before anything is allocated.
  public static let maxHeaderBytes = 100_000_000

  public init(metadata: [String: String] = [:], tensors: [Tensor]) {
    self.metadata = metadata
    self.tensors = tensors
  }

  /// The first tensor named `name`, or nil.
  public subscript(name: String) -> Tensor? {
    tensors.first { $0.name == name }
  }

  /// A one-line reason why the tensors cannot be written, or nil: a
  /// duplicate or reserved name, a negative dimension, or a value count
  /// that does not match the shape.
  public var problem: String? {
    var seen: Set<String> = []
    for tensor in tensors {
      if let problem = Self.problem(of: tensor.entry, seen: &seen) ?? tensor.valueProblem { return problem }
    }
    return nil
  }

  /// The file's bytes.
  ///
  /// `write(to:)` writes the same bytes without assembling them in memory.
  /// - Precondition: `problem` is nil.
  /// - Complexity: O(total values + k log k) for k tensors.
  public func encoded() -> [UInt8] {
    if let problem { preconditionFailure(problem) }
    var out = Self.header(metadata: metadata, entries: tensors.map(\.entry))
    out.reserveCapacity(out.count + tensors.reduce(0) { $0 + $1.entry.dataBytes })
    for tensor in tensors { tensor.withDataBytes { out.append(contentsOf: $0) } }
    return out
  }

  /// Writes the file atomically, tensor by tensor (see
  /// `write(to:metadata:entries:tensor:)`): a temporary file in the same
  /// folder, renamed onto `path` once complete; nothing is left on failure.
  /// - Throws: `FileError` `.unsupported` when `problem` is not nil, `.io`
  ///   when the write fails.
  public func write(to path: String) throws {
    if let problem { throw FileError(.unsupported, path: path, "cannot write: \(problem)") }
    try Self.write(to: path, metadata: metadata, entries: tensors.map(\.entry)) { tensors[$0] }
  }

  /// Reads and validates the file at `path`.
  public static func read(from path: String) throws -> SafeTensors {
    try decode(readFile(path), path: path)
  }

  /// Parses and validates a file's bytes; `path` is named in errors.
  ///
  /// - Throws: `FileError` `.corrupt` for a truncated file, a header length beyond
  ///   the file or `maxHeaderBytes`, a header that is not a UTF-8 JSON
  ///   object, an unknown field, a dtype other than `F32` and `I64`, a shape that is
  ///   not a list of non-negative integers, data offsets that are out of
  ///   bounds, reversed, of the wrong size, overlapping or leaving gaps,
  ///   duplicate names, or metadata values that are not strings.
  /// - Complexity: O(`bytes.count` + k log k) for k tensors.
  public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensors {
    do {
      return try decode(bytes)
    } catch {
      throw FileError(.corrupt, path: path, error.reason)
    }
  }

  /// Why bytes are not a valid file, in words.
  private struct Reason: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }

  private static func decode(_ bytes: [UInt8]) throws(Reason) -> SafeTensors {
    guard bytes.count >= 8 else {
      throw Reason("truncated: \(bytes.count) bytes, fewer than the 8 of the header length")
    }
    let headerLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    guard headerLength <= UInt64(maxHeaderBytes) else {
      throw Reason("not a safetensors file: header length \(headerLength) exceeds the limit of \(maxHeaderBytes) bytes")
    }
    guard headerLength <= UInt64(bytes.count - 8) else {
      throw Reason("truncated: header length \(headerLength) runs past the end of the file (\(bytes.count) bytes)")
    }
    let data = bytes[(8 + Int(headerLength))...]
    var metadata: [String: String] = [:]
    var entries: [Placed] = []
    for (name, value) in try header(Array(bytes[8..<data.startIndex])) {
      if name == "__metadata__" {
        guard case .object(let pairs) = value else { throw Reason("\"__metadata__\" is not an object") }
        for (key, value) in pairs {
          guard case .string(let text) = value else { throw Reason("metadata value of \(quoted(key)) is not a string") }
          metadata[key] = text
        }
      } else {
        entries.append(try entry(name, value, data: data))
      }
    }

    // The tensors must tile the data buffer: no overlap, no gap, no tail.
    entries.sort { ($0.begin, $0.end, $0.tensor.name) < ($1.begin, $1.end, $1.tensor.name) }
    var position = 0
    for entry in entries {
      guard entry.begin == position else {
        let what =
          entry.begin < position
          ? "overlaps the tensor before it" : "leaves a gap of \(entry.begin - position) bytes before it"
        throw Reason("tensor \(quoted(entry.tensor.name)) at data_offsets [\(entry.begin), \(entry.end)] \(what)")
      }
      position = entry.end
    }
    guard position == data.count else { throw Reason("\(data.count - position) bytes after the last tensor's data") }
    return SafeTensors(metadata: metadata, tensors: entries.map(\.tensor))
  }

  /// The members of the header, which must be a JSON object in UTF-8.
  private static func header(_ bytes: [UInt8]) throws(Reason) -> [String: JSONValue] {
    guard String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes) else {
      throw Reason("the header is not valid UTF-8")
    }
    let json: JSONValue
    do {
      json = try JSONValue.parse(bytes)
    } catch {
      throw Reason("the header is not valid JSON: \(error.message)")
    }
    guard case .object(let members) = json else { throw Reason("the header is not a JSON object") }
    return members
  }

  /// A tensor and the byte range of its data within the data buffer.
  private typealias Placed = (tensor: Tensor, begin: Int, end: Int)

  /// The tensor that the header entry `name: value` describes, its values
  /// read from `data` (the data buffer).
  private static func entry(_ name: String, _ value: JSONValue, data: ArraySlice<UInt8>) throws(Reason) -> Placed {
    let tensor = "tensor \(quoted(name))"
    guard case .object(let fields) = value else { throw Reason("\(tensor) is not an object") }
    if let unknown = fields.keys.sorted().first(where: { !["dtype", "shape", "data_offsets"].contains($0) }) {
      throw Reason("\(tensor) has an unknown field \(quoted(unknown))")
    }
    guard case .string(let dtype) = fields["dtype"] else { throw Reason("\(tensor) has no dtype string") }
    guard let type = Tensor.DType(rawValue: dtype) else {
      throw Reason("\(tensor) has dtype \(dtype); only F32 and I64 are supported")
    }
    guard let shape = nonNegativeIntegers(fields["shape"]) else {
      throw Reason("\(tensor) has a shape that is not a list of non-negative integers")
    }
    guard let offsets = nonNegativeIntegers(fields["data_offsets"]), offsets.count == 2 else {
      throw Reason("\(tensor) has data_offsets that are not two non-negative integers")
    }
    let (begin, end) = (offsets[0], offsets[1])
    guard begin <= end else { throw Reason("\(tensor) has data_offsets [\(begin), \(end)] that end before they begin") }
    guard end <= data.count else {
      throw Reason("truncated: \(tensor) ends at byte \(end) of a data buffer of \(data.count) bytes")
    }
    var count = shape.contains(0) ? 0 : 1
    for dimension in shape where count > 0 {
      let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
      guard !overflow, product <= data.count else { throw Reason("\(tensor) has shape \(shape), larger than the file") }
      count = product
    }
    guard end - begin == type.bytes * count else {
      throw Reason("\(tensor) has \(end - begin) data bytes; shape \(shape) of \(dtype) needs \(type.bytes * count)")
    }
    let start = data.startIndex + begin
    switch type {
    case .f32:
      let values = (0..<count).map { i in
        let at = start + 4 * i
        let bits = UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        return Float(bitPattern: bits)
      }
      return (Tensor(name: name, shape: shape, values: values), begin, end)
    case .i64:
      let integers = (0..<count).map { i in
        Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(data[start + 8 * i + $1]) << (8 * $1) })
      }
      return (Tensor(name: name, shape: shape, integers: integers), begin, end)
    }
  }

  /// The elements of a JSON array of non-negative integers, or nil.
  private static func nonNegativeIntegers(_ value: JSONValue?) -> [Int]? {
    guard case .array(let elements) = value else { return nil }
    var out: [Int] = []
    for element in elements {
      guard case .int(let n) = element, n >= 0, let n = Int(exactly: n) else { return nil }
      out.append(n)
    }
    return out
  }
}
