import WeightMap

/// The status codes of `include/unetkit.h`.
enum CallStatus: Int32 {
  case ok = 0
  case invalidArgument = 1
  case tooLarge = 2
}

/// A failure reported to a C caller as a status code and a one-line message.
struct CallError: Error {
  let status: CallStatus
  let message: String

  init(_ status: CallStatus, _ message: String) {
    self.status = status
    self.message = message
  }

  /// An invalid argument.
  init(_ message: String) { self.init(.invalidArgument, message) }
}

/// The largest array the interface accepts, in elements and per side: the
/// resamplers index with 32-bit integers.
let elementLimit = Int(Int32.max)

/// The most control points of an elastic grid, `grid^2` or `grid^3`: the
/// 2-D maximum, 1024 × 1024 (in 3-D a grid of at most 101 per axis).
let controlPointLimit = 1 << 20

/// Refuses a grid of more than ``controlPointLimit`` points in `dimensions`.
func checkGrid(_ grid: Int, dimensions: Int) throws {
  var points = 1
  for _ in 0..<dimensions { points = points.multipliedReportingOverflow(by: max(grid, 1)).partialValue }
  guard points <= controlPointLimit else {
    throw CallError(
      "invalid grid \(grid) for \(dimensions)-D arrays: at most \(controlPointLimit) control points (\(dimensions == 3 ? 101 : 1024) per axis)")
  }
}

/// Runs `body`, turning a thrown error into its status and writing its
/// message (NUL-terminated, cut to `capacity` bytes) into `message`.
func reporting(
  _ message: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> Void
) -> Int32 {
  do {
    try body()
    write("", to: message, capacity)
    return CallStatus.ok.rawValue
  } catch let error as CallError {
    write(error.message, to: message, capacity)
    return error.status.rawValue
  } catch {
    // Configuration errors of the compute modules: one line naming the setting.
    write("\(error)", to: message, capacity)
    return CallStatus.invalidArgument.rawValue
  }
}

private func write(_ text: String, to buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int64) {
  guard let buffer, capacity > 0 else { return }
  // Whole characters only: never cut a UTF-8 sequence in half.
  var bytes: [UInt8] = []
  for scalar in text.unicodeScalars {
    let encoded = Array(String(scalar).utf8)
    guard Int64(bytes.count + encoded.count) < capacity else { break }
    bytes += encoded
  }
  bytes.withUnsafeBufferPointer { b in
    for (i, byte) in b.enumerated() { buffer[i] = CChar(bitPattern: byte) }
  }
  buffer[bytes.count] = 0
}

/// The sizes of an array of `ndim` (2 or 3) dimensions, checked: every side
/// at least 1 and the element count within ``elementLimit``.
struct ArrayShape {
  let width: Int
  let height: Int
  /// 1 for an image.
  let depth: Int
  let isVolume: Bool

  var count: Int { width * height * depth }

  init(ndim: Int32, shape: UnsafePointer<Int64>?) throws {
    guard ndim == 2 || ndim == 3 else {
      throw CallError("expected a 2-D (height, width) or 3-D (depth, height, width) array, got \(ndim)-D")
    }
    guard let shape else { throw CallError("shape is NULL") }
    let sides = (0..<Int(ndim)).map { shape[$0] }
    let text = sides.map(String.init).joined(separator: " x ")
    guard sides.allSatisfy({ $0 > 0 }) else { throw CallError("empty array (shape \(text))") }
    var count: Int64 = 1
    for side in sides {
      guard side <= Int64(elementLimit) else {
        throw CallError(.tooLarge, "array of shape \(text) exceeds the limit of \(elementLimit) elements")
      }
      count *= side
      guard count <= Int64(elementLimit) else {
        throw CallError(.tooLarge, "array of shape \(text) exceeds the limit of \(elementLimit) elements")
      }
    }
    isVolume = ndim == 3
    depth = isVolume ? Int(sides[0]) : 1
    height = Int(sides[sides.count - 2])
    width = Int(sides[sides.count - 1])
  }
}

/// `count` values copied out of a C array.
func copied<T>(_ pointer: UnsafePointer<T>?, _ count: Int, _ name: String) throws -> [T] {
  guard let pointer else { throw CallError("\(name) is NULL") }
  return Array(UnsafeBufferPointer(start: pointer, count: count))
}

/// Copies `values` into a C array, when one is given.
func store<T>(_ values: [T], into pointer: UnsafeMutablePointer<T>?) {
  guard let pointer else { return }
  values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: $0.count) }
}

/// A configuration error of the compute modules with its setting named as
/// C callers name it (`names`: the Swift name → the caller's), in the form
/// `invalid NAME VALUE: must be REQUIREMENT`; any other error as it is.
func renamed(_ error: any Error, _ names: [String: String]) -> CallError {
  guard let error = error as? ConfigurationError else { return CallError("\(error)") }
  return CallError("invalid \(names[error.setting] ?? error.setting) \(error.value): must be \(error.requirement)")
}

/// Runs `body`, renaming the setting of a configuration error it throws.
func naming<T>(_ names: [String: String], _ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as CallError {
    throw error
  } catch {
    throw renamed(error, names)
  }
}
