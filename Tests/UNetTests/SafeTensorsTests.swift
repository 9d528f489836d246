import Foundation
import Testing
import _TestSupport

@testable import UNet

@Suite("SafeTensors: round trip, exact bytes, strict reading, Python's safetensors as reference")
final class SafeTensorsTests {
  let dir: String

  init() { dir = makeTemporaryDirectory() }
  deinit { try? FileManager.default.removeItem(atPath: dir) }

  static let sample = SafeTensors(
    metadata: ["format": "pt", "step": "1200", "note": "ü \"quoted\""],
    tensors: [
      .init(name: "down.0.0.weight", shape: [2, 1, 3, 3], values: (0..<18).map { Float($0) * 0.25 - 2 }),
      .init(name: "down.0.0.bias", shape: [2], values: [.pi, -.greatestFiniteMagnitude]),
      .init(name: "scale", shape: [], values: [1e-30]),
      .init(name: "head.weight", shape: [2, 3, 1, 1], values: [1, -1, 0.5, -0.0, 7, .leastNonzeroMagnitude]),
      .init(name: "unused", shape: [0, 4], values: []),
    ])

  @Test func roundTripKeepsNamesShapesValuesOrderAndMetadata() throws {
    let path = dir + "/model.safetensors"
    try Self.sample.write(to: path)
    let read = try SafeTensors.read(from: path)
    #expect(read == Self.sample)
    #expect(read.tensors.map(\.name) == Self.sample.tensors.map(\.name))
    #expect(read["scale"]?.shape == [])
    #expect(read["head.weight"]?.values[3].sign == .minus)
    #expect(read["missing"] == nil)

    let bare = SafeTensors(tensors: [.init(name: "x", shape: [1], values: [2])])
    try bare.write(to: path)
    #expect(try SafeTensors.read(from: path) == bare)
    #expect(!String(decoding: bare.encoded(), as: UTF8.self).contains("__metadata__"))
    #expect(try SafeTensors.read(from: path).metadata.isEmpty)

    let empty = SafeTensors(tensors: [])
    #expect(try SafeTensors.decode(empty.encoded(), path: "e") == empty)
  }

  @Test func encodingIsByteExact() {
    let tensors = SafeTensors(tensors: [
      .init(name: "b", shape: [2], values: [1, -2]),
      .init(name: "a", shape: [], values: [0.5]),
    ])
    let header =
      #"{"a":{"data_offsets":[8,12],"dtype":"F32","shape":[]},"b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}}"#
    #expect(header.utf8.count == 107)
    let expected: [UInt8] =
      [112, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + Array(repeating: 0x20, count: 5)
      + [0x00, 0x00, 0x80, 0x3F] + [0x00, 0x00, 0x00, 0xC0] + [0x00, 0x00, 0x00, 0x3F]
    #expect(tensors.encoded() == expected)

    // Metadata keys sort too: the same content gives the same bytes.
    let a = SafeTensors(metadata: ["z": "1", "a": "2", "m": "3"], tensors: tensors.tensors)
    let b = SafeTensors(metadata: ["m": "3", "z": "1", "a": "2"], tensors: tensors.tensors)
    #expect(a.encoded() == b.encoded())
    #expect(String(decoding: a.encoded()[8..<50], as: UTF8.self).hasPrefix(#"{"__metadata__":{"a":"2","m":"3","z":"1"}"#))
    #expect(Self.sample.encoded() == Self.sample.encoded())
    for value in [a, Self.sample] {
      let length = value.encoded()[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
      #expect(length % 8 == 0)
    }
  }

  /// I64 tensors (PyTorch's `num_batches_tracked`) are written and read
  /// exactly, beside F32 ones, and an element of the other type is a problem.
  @Test func integerTensors() throws {
    let tensors = SafeTensors(tensors: [
      .init(name: "n", shape: [], integers: [-2]),
      .init(name: "a", shape: [], values: [0.5]),
      .init(name: "big", shape: [2], integers: [.max, 1 << 40]),
    ])
    let header =
      #"{"a":{"data_offsets":[8,12],"dtype":"F32","shape":[]},"big":{"data_offsets":[12,28],"dtype":"I64","shape":[2]},"#
      + #""n":{"data_offsets":[0,8],"dtype":"I64","shape":[]}}"#
    let padded = Array(header.utf8) + Array(repeating: 0x20, count: (8 - header.utf8.count % 8) % 8)
    let expected: [UInt8] =
      withUnsafeBytes(of: UInt64(padded.count).littleEndian, Array.init) + padded
      + [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + [0x00, 0x00, 0x00, 0x3F]
      + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F] + [0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
    #expect(tensors.encoded() == expected)
    let read = try SafeTensors.decode(expected, path: "i")
    #expect(read == tensors)
    #expect(read["n"]?.dtype == .i64 && read["n"]?.values == [] && read["big"]?.integers == [.max, 1 << 40])
    var mixed = SafeTensors.Tensor(name: "m", shape: [1], integers: [1])
    mixed.values = [1]
    #expect(SafeTensors(tensors: [mixed]).problem == "tensor \"m\" of dtype I64 holds elements of the other dtype")
  }

  /// A file with `header` as its JSON and `dataBytes` zero bytes as its buffer.
  static func file(_ header: String, dataBytes: Int = 0) -> [UInt8] {
    file(Array(header.utf8), dataBytes: dataBytes)
  }

  static func file(_ header: [UInt8], dataBytes: Int = 0) -> [UInt8] {
    lengthField(header.count) + header + [UInt8](repeating: 0, count: dataBytes)
  }

  static func lengthField(_ length: Int) -> [UInt8] {
    withUnsafeBytes(of: UInt64(length).littleEndian, Array.init)
  }

  /// A header entry for one tensor.
  static func entry(_ name: String, dtype: String = "F32", shape: String, offsets: String) -> String {
    #""\#(name)":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":\#(offsets)}"#
  }

  /// A file of one tensor `w`.
  static func one(dtype: String = "F32", shape: String, offsets: String, dataBytes: Int) -> [UInt8] {
    file("{" + entry("w", dtype: dtype, shape: shape, offsets: offsets) + "}", dataBytes: dataBytes)
  }

  /// A file of two tensors `a` and `b`.
  static func two(_ a: String, _ b: String, shape: String, dataBytes: Int) -> [UInt8] {
    file(
      "{" + entry("a", shape: shape, offsets: a) + "," + entry("b", shape: shape, offsets: b) + "}",
      dataBytes: dataBytes)
  }

  /// Each malformed file, with a fragment its error must contain.
  static let malformed: [(what: String, bytes: [UInt8], reason: String)] = [
    ("shorter than the length field", [1, 2, 3], "fewer than the 8"),
    ("header length past the end", lengthField(100) + Array("{}".utf8), "header length 100 runs past the end"),
    ("header length over the limit", lengthField(200_000_000) + [0x7B], "exceeds the limit"),
    ("header not UTF-8", file([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]), "not valid UTF-8"),
    ("header not JSON", file(#"{"a":"#), "not valid JSON"),
    ("header not an object", file("[1, 2]"), "not a JSON object"),
    ("unknown dtype", one(dtype: "F16", shape: "[2]", offsets: "[0,4]", dataBytes: 4), "\"w\" has dtype F16; only F32 and I64 are supported"),
    ("size not 8 times the count", one(dtype: "I64", shape: "[1]", offsets: "[0,4]", dataBytes: 4), "4 data bytes; shape [1] of I64 needs 8"),
    ("dtype not a string", file(#"{"w":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}"#, dataBytes: 4), "no dtype"),
    ("negative dimension", one(shape: "[-1]", offsets: "[0,4]", dataBytes: 4), "shape that is not a list of non-negative integers"),
    ("fractional dimension", one(shape: "[1.5]", offsets: "[0,4]", dataBytes: 4), "shape that is not"),
    ("shape not a list", one(shape: "4", offsets: "[0,4]", dataBytes: 4), "shape that is not"),
    ("huge shape", one(shape: "[4294967296,4294967296]", offsets: "[0,4]", dataBytes: 4), "larger than the file"),
    ("three offsets", one(shape: "[1]", offsets: "[0,4,8]", dataBytes: 4), "not two non-negative integers"),
    ("negative offset", one(shape: "[1]", offsets: "[-4,0]", dataBytes: 4), "not two non-negative integers"),
    ("offsets out of bounds", one(shape: "[4]", offsets: "[0,16]", dataBytes: 8), "ends at byte 16 of a data buffer of 8 bytes"),
    ("end before begin", one(shape: "[1]", offsets: "[8,4]", dataBytes: 8), "end before they begin"),
    ("size not 4 times the count", one(shape: "[3]", offsets: "[0,8]", dataBytes: 8), "8 data bytes; shape [3] of F32 needs 12"),
    ("overlapping tensors", two("[0,8]", "[4,12]", shape: "[2]", dataBytes: 12), "\"b\" at data_offsets [4, 12] overlaps"),
    ("gap between tensors", two("[0,4]", "[8,12]", shape: "[1]", dataBytes: 12), "\"b\" at data_offsets [8, 12] leaves a gap of 4"),
    ("gap at the start", one(shape: "[1]", offsets: "[4,8]", dataBytes: 8), "leaves a gap of 4 bytes"),
    ("bytes after the data", one(shape: "[1]", offsets: "[0,4]", dataBytes: 8), "4 bytes after the last tensor"),
    ("duplicate names", file("{" + entry("a", shape: "[]", offsets: "[0,4]") + "," + entry("a", shape: "[]", offsets: "[4,8]") + "}", dataBytes: 8), "duplicate key \"a\""),
    ("metadata value not a string", file(#"{"__metadata__":{"epoch":1}}"#), "metadata value of \"epoch\" is not a string"),
    ("metadata not an object", file(#"{"__metadata__":["a"]}"#), "\"__metadata__\" is not an object"),
    ("tensor entry not an object", file(#"{"w":[1]}"#), "\"w\" is not an object"),
    ("unknown field", file(#"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":1}}"#, dataBytes: 4), "unknown field \"extra\""),
  ]

  @Test func malformedFilesThrowOneLineErrorsNamingFileAndReason() throws {
    for (what, bytes, reason) in Self.malformed {
      let error = #expect(throws: FileError.self, "\(what)") { try SafeTensors.decode(bytes, path: "/x/m.safetensors") }
      guard let error else { continue }
      #expect(error.description.hasPrefix("/x/m.safetensors: "), "\(what): \(error)")
      #expect(error.description.contains(reason), "\(what): \(error)")
      #expect(!error.description.contains("\n"), "\(what): \(error)")
    }
  }

  @Test func truncatedFilesAndFlippedBytesNeverCrash() throws {
    let bytes = Self.sample.encoded()
    let path = dir + "/cut.safetensors"
    try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: path))
    let error = #expect(throws: FileError.self) { try SafeTensors.read(from: path) }
    #expect(error?.description.contains("\(path): truncated") == true, "\(String(describing: error))")
    // Every prefix is rejected.
    for length in 0..<bytes.count {
      #expect(throws: FileError.self, "prefix \(length)") { try SafeTensors.decode(Array(bytes[..<length]), path: "p") }
    }
    // A byte changed anywhere gives a FileError or a valid value, never a crash.
    for position in stride(from: 0, to: bytes.count, by: 3) {
      for value: UInt8 in [0x00, 0x22, 0x2C, 0x39, 0xFF] {
        var changed = bytes
        changed[position] = value
        do { _ = try SafeTensors.decode(changed, path: "p") } catch is FileError {} catch {
          Issue.record("unexpected error \(error)")
        }
      }
    }
  }

  @Test func writesAreAtomicAndChecked() throws {
    let path = dir + "/model.safetensors"
    try Self.sample.write(to: path)
    let bad = SafeTensors(tensors: [.init(name: "w", shape: [2, 2], values: [1, 2, 3])])
    #expect(bad.problem == "tensor \"w\" has 3 values for shape [2, 2]")
    #expect(throws: FileError.self) { try bad.write(to: path) }
    #expect(try SafeTensors.read(from: path) == Self.sample)
    let twice = SafeTensors(tensors: [.init(name: "w", shape: [], values: [1]), .init(name: "w", shape: [], values: [1])])
    #expect(twice.problem == "duplicate tensor name \"w\"")
    #expect(SafeTensors(tensors: [.init(name: "__metadata__", shape: [], values: [1])]).problem != nil)

    let missingFolder = dir + "/no/such/folder/m.safetensors"
    let error = #expect(throws: FileError.self) { try Self.sample.write(to: missingFolder) }
    #expect(error?.description.hasPrefix(missingFolder) == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.safetensors"])

    let notFound = #expect(throws: FileError.self) { try SafeTensors.read(from: dir + "/absent") }
    #expect(notFound?.description == dir + "/absent: no such file")
    #expect(throws: FileError.self) { try SafeTensors.read(from: dir) }
  }

  // MARK: - Python's safetensors

  /// Python loads our file with `safetensors.numpy.load_file` and prints
  /// names, shapes, values (as doubles) and metadata.
  static let loadScript = """
    import json, sys
    from safetensors import safe_open
    from safetensors.numpy import load_file
    tensors = load_file(sys.argv[1])
    with safe_open(sys.argv[1], framework="np") as f:
        metadata = f.metadata()
    print(json.dumps({"metadata": metadata, "tensors": {
        name: {"dtype": str(a.dtype), "shape": list(a.shape), "values": [float(x) for x in a.reshape(-1)]}
        for name, a in tensors.items()}}))
    """

  @Test func pythonLoadsOurFile() throws {
    try requireSafetensors()
    let path = dir + "/ours.safetensors"
    var tensors = Self.sample
    // JSON cannot carry infinities; keep the printed values finite.
    tensors.tensors[1].values = [.pi, -3.4e38]
    tensors.tensors.append(.init(name: "bn.num_batches_tracked", shape: [], integers: [1200]))
    tensors.tensors.append(.init(name: "counts", shape: [2], integers: [1 << 62, -3]))
    try tensors.write(to: path)
    let result = try runPython(["-c", Self.loadScript, path])
    try #require(result.status == 0, "python failed: \(result.stderr)")
    let decoded = try JSONDecoder().decode(Loaded.self, from: Data(result.stdout.utf8))
    #expect(decoded.metadata == tensors.metadata)
    #expect(Set(decoded.tensors.keys) == Set(tensors.tensors.map(\.name)))
    for tensor in tensors.tensors {
      let loaded = try #require(decoded.tensors[tensor.name])
      #expect(loaded.dtype == (tensor.dtype == .f32 ? "float32" : "int64"))
      #expect(loaded.shape == tensor.shape)
      #expect(loaded.values == Self.doubles(tensor), "\(tensor.name)")
    }
  }

  struct Loaded: Decodable {
    struct Tensor: Decodable {
      var dtype: String
      var shape: [Int]
      var values: [Double]
    }
    var metadata: [String: String]?
    var tensors: [String: Tensor]
  }

  @Test func weReadPythonsFile() throws {
    try requireSafetensors()
    let path = dir + "/python.safetensors"
    let script = """
      import json, sys
      import numpy as np
      from safetensors.numpy import save_file
      rng = np.random.default_rng(5)
      tensors = {
          "conv.weight": rng.standard_normal((4, 2, 3, 3)).astype(np.float32),
          "conv.bias": np.array([1.5, -2.0, 0.0, 1e-20], dtype=np.float32),
          "scalar": np.array(3.25, dtype=np.float32),
          "empty": np.zeros((0, 2), dtype=np.float32),
          "bn.num_batches_tracked": np.array(7, dtype=np.int64),
          "counts": np.array([2**62, -3], dtype=np.int64),
      }
      save_file(tensors, sys.argv[1], metadata={"format": "np", "note": "größe"})
      print(json.dumps({"metadata": {"format": "np", "note": "größe"}, "tensors": {
          name: {"dtype": str(a.dtype), "shape": list(a.shape), "values": [float(x) for x in a.reshape(-1)]}
          for name, a in tensors.items()}}))
      """
    let result = try runPython(["-c", script, path])
    try #require(result.status == 0, "python failed: \(result.stderr)")
    let expected = try JSONDecoder().decode(Loaded.self, from: Data(result.stdout.utf8))
    let read = try SafeTensors.read(from: path)
    #expect(read.metadata == expected.metadata)
    #expect(Set(read.tensors.map(\.name)) == Set(expected.tensors.keys))
    for (name, tensor) in expected.tensors {
      let ours = try #require(read[name])
      #expect(ours.shape == tensor.shape, "\(name)")
      #expect((ours.dtype == .f32 ? "float32" : "int64") == tensor.dtype, "\(name)")
      #expect(Self.doubles(ours) == tensor.values, "\(name)")
    }
  }

  /// A tensor's elements as Doubles (exact for these values).
  static func doubles(_ tensor: SafeTensors.Tensor) -> [Double] {
    tensor.dtype == .f32 ? tensor.values.map(Double.init) : tensor.integers.map(Double.init)
  }

  func requireSafetensors() throws {
    let probe = try runPython(["-c", "import safetensors.numpy, numpy"])
    try #require(
      probe.status == 0,
      "Python with safetensors and numpy is needed (scripts/test.sh installs them into .venv-test): \(probe.stderr)")
  }
}
