import Foundation
import UNet

/// A state dict in the file format of `torch.save` (PyTorch's zip archive,
/// pickle protocol 2), which `torch.load(…, weights_only=True)` reads: an
/// `OrderedDict` of tensors rebuilt by `torch._utils._rebuild_tensor_v2`
/// from `FloatStorage` (float32) and `LongStorage` (int64) records, each
/// tensor in its own record `archive/data/I`, contiguous. The bytes depend
/// on the tensors alone (no timestamps).
public struct TorchStateDict {
  public var tensors: [SafeTensors.Tensor]

  public init(_ tensors: [SafeTensors.Tensor]) { self.tensors = tensors }

  /// The state dict of a trained model: its weights file's tensors, with
  /// the names of examples/pytorch/unet_module.py.
  public init(_ model: TrainedModel) { self.init(model.weightsFile.tensors) }

  /// The archive's bytes.
  public var bytes: [UInt8] {
    var zip = StoredZip()
    zip.add("archive/data.pkl", pickle)
    zip.add("archive/byteorder", Array("little".utf8))
    for (index, tensor) in tensors.enumerated() {
      var data: [UInt8] = []
      switch tensor.dtype {
      case .f32:
        data.reserveCapacity(4 * tensor.values.count)
        for v in tensor.values { appendLittleEndian(&data, UInt64(v.bitPattern), bytes: 4) }
      case .i64:
        for v in tensor.integers { appendLittleEndian(&data, UInt64(bitPattern: v), bytes: 8) }
      }
      zip.add("archive/data/\(index)", data)
    }
    zip.add("archive/version", Array("3\n".utf8))
    return zip.finish()
  }

  /// Writes the archive.
  public func write(to path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

  /// `data.pkl`: protocol 2.
  var pickle: [UInt8] {
    var p: [UInt8] = [0x80, 2]
    func global(_ module: String, _ name: String) { p += [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
    func string(_ s: String) {
      let utf8 = Array(s.utf8)
      p.append(UInt8(ascii: "X"))
      appendLittleEndian(&p, UInt64(utf8.count), bytes: 4)
      p += utf8
    }
    func int(_ v: Int) {
      p.append(UInt8(ascii: "J"))
      appendLittleEndian(&p, UInt64(UInt32(truncatingIfNeeded: v)), bytes: 4)
    }
    func tuple(_ values: [Int]) {
      if values.isEmpty { p.append(UInt8(ascii: ")")); return }
      p.append(UInt8(ascii: "("))
      for v in values { int(v) }
      p.append(UInt8(ascii: "t"))
    }
    func orderedDict() {
      global("collections", "OrderedDict")
      p += [UInt8(ascii: ")"), UInt8(ascii: "R")]
    }
    orderedDict()
    p.append(UInt8(ascii: "("))
    for (index, tensor) in tensors.enumerated() {
      string(tensor.name)
      global("torch._utils", "_rebuild_tensor_v2")
      p.append(UInt8(ascii: "("))
      // The persistent id: ('storage', type, key, location, numel).
      p.append(UInt8(ascii: "("))
      string("storage")
      global("torch", tensor.dtype == .f32 ? "FloatStorage" : "LongStorage")
      string(String(index))
      string("cpu")
      int(tensor.shape.reduce(1, *))
      p += [UInt8(ascii: "t"), UInt8(ascii: "Q")]
      int(0)
      tuple(tensor.shape)
      var strides = [Int](repeating: 1, count: tensor.shape.count)
      for i in strides.indices.reversed().dropFirst() { strides[i] = strides[i + 1] * tensor.shape[i + 1] }
      tuple(strides)
      p.append(0x89)  // NEWFALSE: requires_grad
      orderedDict()  // backward hooks
      p += [UInt8(ascii: "t"), UInt8(ascii: "R")]
    }
    p += [UInt8(ascii: "u"), UInt8(ascii: ".")]
    return p
  }
}

private func appendLittleEndian(_ bytes: inout [UInt8], _ value: UInt64, bytes count: Int) {
  for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
}

/// A zip archive of stored (uncompressed) files with no timestamps, each
/// file's data aligned to 64 bytes as PyTorch aligns them (by padding the
/// local header's extra field).
struct StoredZip {
  private var out: [UInt8] = []
  private var central: [UInt8] = []
  private var count = 0

  mutating func add(_ name: String, _ data: [UInt8]) {
    let nameBytes = Array(name.utf8)
    let offset = out.count
    let crc = crc32(data)
    let headerEnd = offset + 30 + nameBytes.count + 4
    let padding = (64 - headerEnd % 64) % 64
    var local: [UInt8] = []
    appendLittleEndian(&local, 0x0403_4b50, bytes: 4)
    appendLittleEndian(&local, 0, bytes: 2)  // version needed
    appendLittleEndian(&local, 0, bytes: 2)  // flags
    appendLittleEndian(&local, 0, bytes: 2)  // stored
    appendLittleEndian(&local, 0, bytes: 4)  // time and date
    appendLittleEndian(&local, UInt64(crc), bytes: 4)
    appendLittleEndian(&local, UInt64(data.count), bytes: 4)
    appendLittleEndian(&local, UInt64(data.count), bytes: 4)
    appendLittleEndian(&local, UInt64(nameBytes.count), bytes: 2)
    appendLittleEndian(&local, UInt64(4 + padding), bytes: 2)
    local += nameBytes
    appendLittleEndian(&local, 0x4246, bytes: 2)  // "FB", PyTorch's padding field
    appendLittleEndian(&local, UInt64(padding), bytes: 2)
    local += [UInt8](repeating: 0x5A, count: padding)
    out += local
    out += data

    appendLittleEndian(&central, 0x0201_4b50, bytes: 4)
    appendLittleEndian(&central, 0, bytes: 2)  // made by
    appendLittleEndian(&central, 0, bytes: 2)  // needed
    appendLittleEndian(&central, 0, bytes: 2)
    appendLittleEndian(&central, 0, bytes: 2)
    appendLittleEndian(&central, 0, bytes: 4)
    appendLittleEndian(&central, UInt64(crc), bytes: 4)
    appendLittleEndian(&central, UInt64(data.count), bytes: 4)
    appendLittleEndian(&central, UInt64(data.count), bytes: 4)
    appendLittleEndian(&central, UInt64(nameBytes.count), bytes: 2)
    appendLittleEndian(&central, 0, bytes: 2)  // extra
    appendLittleEndian(&central, 0, bytes: 2)  // comment
    appendLittleEndian(&central, 0, bytes: 2)  // disk
    appendLittleEndian(&central, 0, bytes: 2)  // internal attributes
    appendLittleEndian(&central, 0, bytes: 4)  // external attributes
    appendLittleEndian(&central, UInt64(offset), bytes: 4)
    central += nameBytes
    count += 1
  }

  mutating func finish() -> [UInt8] {
    let start = out.count
    var result = out + central
    appendLittleEndian(&result, 0x0605_4b50, bytes: 4)
    appendLittleEndian(&result, 0, bytes: 2)
    appendLittleEndian(&result, 0, bytes: 2)
    appendLittleEndian(&result, UInt64(count), bytes: 2)
    appendLittleEndian(&result, UInt64(count), bytes: 2)
    appendLittleEndian(&result, UInt64(central.count), bytes: 4)
    appendLittleEndian(&result, UInt64(start), bytes: 4)
    appendLittleEndian(&result, 0, bytes: 2)
    return result
  }
}

/// CRC-32 (ISO-HDLC, as zip uses).
func crc32(_ bytes: [UInt8]) -> UInt32 {
  var crc: UInt32 = 0xFFFF_FFFF
  crcTable.withUnsafeBufferPointer { table in
    for byte in bytes { crc = (crc >> 8) ^ table[Int((crc ^ UInt32(byte)) & 0xFF)] }
  }
  return crc ^ 0xFFFF_FFFF
}

private let crcTable: [UInt32] = (0..<256).map { n in
  var c = UInt32(n)
  for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
  return c
}
