#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import Foundation
import Shards

/// One line of a training run's `metrics.jsonl`: a training step, a
/// validation pass, or both.
///
/// As JSON the keys are `step`, `loss`, `seconds`, `lr`, `elapsed`,
/// `val_loss`, `val_pixel_error`, `val_pixel_error_threshold`,
/// `val_rand_error`, `val_rand_error_threshold` and `val_pixel_mismatch`;
/// nil fields are left out. NaN and infinities, which JSON numbers cannot
/// hold, are the strings `"NaN"`, `"Infinity"` and `"-Infinity"`
/// (Foundation's `convertToString` convention; Python reads them with
/// `float(x)`).
///
/// Older versions wrote validation lines with `val_loss` and
/// `val_pixel_error` alone, the latter then the fraction of misclassified
/// pixels (argmax); ``init(jsonLine:)`` reads such a `val_pixel_error`, one
/// without `val_rand_error` beside it, as `val_pixel_mismatch`, so that
/// `val_pixel_error` only ever means the challenge's pixel error.
public struct MetricsRecord: Sendable, Equatable, Codable {
  /// The training step (iteration) the line belongs to.
  public var step: Int
  /// The training loss of that step.
  public var loss: Double?
  /// The wall time of that step, in seconds.
  public var seconds: Double?
  /// The learning rate of that step (key `lr`).
  public var learningRate: Double?
  /// Training seconds up to the end of this step, summed over every
  /// segment of a resumed run: the steps and checkpoint writes, without
  /// start-up and validation (key `elapsed`).
  public var elapsed: Double?
  /// The mean weighted loss over the validation set (key `val_loss`); only
  /// on validation lines.
  public var validationLoss: Double?
  /// The validation set's ISBI 2012 pixel error, best over the thresholds
  /// (key `val_pixel_error`), as `unet eval` reports it.
  public var validationPixelError: Double?
  /// The threshold of ``validationPixelError`` (key `val_pixel_error_threshold`).
  public var validationPixelErrorThreshold: Double?
  /// The validation set's ISBI 2012 Rand error, best over the thresholds
  /// (key `val_rand_error`), as `unet eval` reports it.
  public var validationRandError: Double?
  /// The threshold of ``validationRandError`` (key `val_rand_error_threshold`);
  /// the run stores the last one for `unet predict`.
  public var validationRandErrorThreshold: Double?
  /// The fraction of validation pixels misclassified by argmax (key
  /// `val_pixel_mismatch`): only in lines of older versions, read from their
  /// `val_pixel_error`.
  public var validationPixelMismatch: Double?

  public init(
    step: Int, loss: Double? = nil, seconds: Double? = nil, learningRate: Double? = nil, elapsed: Double? = nil,
    validationLoss: Double? = nil, validationPixelError: Double? = nil, validationPixelErrorThreshold: Double? = nil,
    validationRandError: Double? = nil, validationRandErrorThreshold: Double? = nil,
    validationPixelMismatch: Double? = nil
  ) {
    self.step = step
    self.loss = loss
    self.seconds = seconds
    self.learningRate = learningRate
    self.elapsed = elapsed
    self.validationLoss = validationLoss
    self.validationPixelError = validationPixelError
    self.validationPixelErrorThreshold = validationPixelErrorThreshold
    self.validationRandError = validationRandError
    self.validationRandErrorThreshold = validationRandErrorThreshold
    self.validationPixelMismatch = validationPixelMismatch
  }

  enum CodingKeys: String, CodingKey {
    case step, loss, seconds, elapsed
    case learningRate = "lr"
    case validationLoss = "val_loss"
    case validationPixelError = "val_pixel_error"
    case validationPixelErrorThreshold = "val_pixel_error_threshold"
    case validationRandError = "val_rand_error"
    case validationRandErrorThreshold = "val_rand_error_threshold"
    case validationPixelMismatch = "val_pixel_mismatch"
  }

  /// The optional fields with their keys, in declaration order.
  private static var optionalFields: [(CodingKeys, WritableKeyPath<MetricsRecord, Double?>)] {
    [
      (.loss, \.loss), (.seconds, \.seconds), (.learningRate, \.learningRate), (.elapsed, \.elapsed),
      (.validationLoss, \.validationLoss), (.validationPixelError, \.validationPixelError),
      (.validationPixelErrorThreshold, \.validationPixelErrorThreshold), (.validationRandError, \.validationRandError),
      (.validationRandErrorThreshold, \.validationRandErrorThreshold),
      (.validationPixelMismatch, \.validationPixelMismatch),
    ]
  }

  /// The record as one line of JSON without the newline: sorted keys, no
  /// whitespace, numbers in Swift's shortest round-trip form, e.g.
  /// `{"loss":0.6931,"lr":0.01,"seconds":5.12,"step":1}`.
  public var jsonLine: String {
    var members: [String: JSONValue] = [CodingKeys.step.rawValue: .int(Int64(step))]
    for (key, path) in Self.optionalFields {
      guard let value = self[keyPath: path] else { continue }
      if value.isFinite {
        members[key.rawValue] = .double(value)
      } else {
        members[key.rawValue] = .string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
      }
    }
    return JSONValue.object(members).serialized(indent: 0)
  }

  /// Parses one line as written by `jsonLine`; integers are accepted where
  /// numbers are expected and `null` as a missing field. A `val_pixel_error`
  /// without `val_rand_error` (a line of an older version) is read as
  /// `val_pixel_mismatch`.
  /// - Throws: a one-line reason when the line is not a JSON
  ///   object of the known keys with number values and an integer step.
  init(jsonLine bytes: ArraySlice<UInt8>) throws(ReasonError) {
    guard !bytes.isEmpty else { throw ReasonError("empty line") }
    let json: JSONValue
    do {
      json = try JSONValue.parse(Array(bytes))
    } catch let error as ShardError {
      // The parser counts lines and columns within this one line.
      throw ReasonError(error.reason.hasPrefix("line 1, ") ? String(error.reason.dropFirst(8)) : error.reason)
    } catch {
      throw ReasonError("\(error)")
    }
    guard case .object(var members) = json else { throw ReasonError("not a JSON object") }
    if let unknown = members.keys.sorted().first(where: { CodingKeys(rawValue: $0) == nil }) {
      throw ReasonError("unknown key \(quoted(unknown))")
    }
    guard case .int(let step) = members[CodingKeys.step.rawValue], let step = Int(exactly: step) else {
      throw ReasonError("no integer \"step\"")
    }
    self.init(step: step)
    let legacy = CodingKeys.validationPixelError.rawValue
    if members[CodingKeys.validationRandError.rawValue] == nil, let old = members.removeValue(forKey: legacy) {
      guard members[CodingKeys.validationPixelMismatch.rawValue] == nil else {
        throw ReasonError("both \"\(legacy)\" of an older version and \"val_pixel_mismatch\"")
      }
      members[CodingKeys.validationPixelMismatch.rawValue] = old
    }
    for (key, path) in Self.optionalFields {
      switch members[key.rawValue] {
      case nil, .null?: continue
      case .int(let n)?: self[keyPath: path] = Double(n)
      case .double(let x)?: self[keyPath: path] = x
      case .string("NaN")?: self[keyPath: path] = .nan
      case .string("Infinity")?: self[keyPath: path] = .infinity
      case .string("-Infinity")?: self[keyPath: path] = -.infinity
      default: throw ReasonError("\"\(key.rawValue)\" is not a number")
      }
    }
  }

  /// Why a line was rejected, to be put in a `TrainingError` with the file and line.
  struct ReasonError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
  }
}

/// The `metrics.jsonl` of a training run, appended one line per record.
///
/// Each `append` hands a whole line to `write(2)` at once, so a killed process
/// leaves at most one torn line at the end; readers and a resumed run drop it.
public final class MetricsLog {
  /// The file.
  public let path: String
  private let fd: Int32

  /// Opens the log at `path` for appending.
  ///
  /// - Parameters:
  ///   - path: the file, usually `DIR/metrics.jsonl`.
  ///   - step: for a resumed run, the step it resumes from: the file is
  ///     first rewritten (atomically) with only its lines of steps up to
  ///     `step`, so that the steps to be redone are not logged twice, and a
  ///     torn last line is dropped. Nil starts a new, empty file, replacing
  ///     any old one.
  /// - Throws: `TrainingError` when the old file cannot be read (a bad line
  ///   other than a torn last one), or the new one cannot be written.
  public init(path: String, truncatingAfter step: Int?) throws {
    var kept: [MetricsRecord] = []
    if let step, FileManager.default.fileExists(atPath: path) {
      kept = try Self.read(from: path).filter { $0.step <= step }
    }
    try writeFileAtomically(Array(kept.map { $0.jsonLine + "\n" }.joined().utf8), to: path)
    let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else {
      throw TrainingError("\(path): cannot open for appending: \(String(cString: strerror(errno)))")
    }
    self.path = path
    self.fd = fd
  }

  deinit { close(fd) }

  /// Appends `record` as one line, written to the file at once (no buffering).
  public func append(_ record: MetricsRecord) throws {
    let line = Array((record.jsonLine + "\n").utf8)
    var done = 0
    while done < line.count {
      let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + done, line.count - done) }
      if n < 0 {
        if errno == EINTR { continue }
        throw TrainingError("\(path): cannot append: \(String(cString: strerror(errno)))")
      }
      done += n
    }
  }

  /// Reads every record of the log at `path`, in file order.
  ///
  /// A last line without its newline that does not parse (torn by a killed
  /// process) is ignored; any other bad line, an empty one included, throws.
  /// - Throws: `TrainingError` naming the file and, for a bad line, its number.
  public static func read(from path: String) throws -> [MetricsRecord] {
    let bytes = try readFileBytes(path)
    var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let last = lines.removeLast()  // empty after a final newline, else an unterminated line
    var records: [MetricsRecord] = []
    for (i, line) in lines.enumerated() {
      do {
        records.append(try MetricsRecord(jsonLine: line))
      } catch {
        throw TrainingError("\(path): line \(i + 1): \(error.reason)")
      }
    }
    if !last.isEmpty, let record = try? MetricsRecord(jsonLine: last) { records.append(record) }
    return records
  }
}
