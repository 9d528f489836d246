import Foundation
import Testing
import UNet
import _TestSupport

@testable import Interchange

/// The parts of the BioImage Model Zoo package that need no Python: the
/// zip checksum, the archive's layout, the module source it ships.
@Suite struct TorchStateDictTests {
  @Test func crc32IsZipsChecksum() {
    #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(crc32([]) == 0)
  }

  /// Records in torch.save's order and names, each tensor's data at a
  /// 64-byte boundary, little-endian float32 and int64.
  @Test func archiveHoldsEachTensorAligned() throws {
    let tensors = [
      SafeTensors.Tensor(name: "w", shape: [2, 1], values: [1.5, -2]),
      SafeTensors.Tensor(name: "n", shape: [], integers: [7]),
    ]
    let bytes = TorchStateDict(tensors).bytes
    #expect(Array(bytes[0..<4]) == [0x50, 0x4B, 0x03, 0x04])
    func find(_ name: String) -> Int? {
      let needle = Array(name.utf8)
      return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }
    }
    let names = ["archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version"]
    let offsets = try names.map { try #require(find($0)) }
    #expect(offsets == offsets.sorted())
    // The local header of archive/data/0: its data follows the name and the padding field.
    let headerStart = offsets[2] - 30
    let nameLength = Int(bytes[headerStart + 26]) | Int(bytes[headerStart + 27]) << 8
    let extraLength = Int(bytes[headerStart + 28]) | Int(bytes[headerStart + 29]) << 8
    let data = headerStart + 30 + nameLength + extraLength
    #expect(data % 64 == 0)
    #expect(Array(bytes[data..<data + 8]) == [0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0])
    let pickle = String(decoding: TorchStateDict(tensors).pickle, as: UTF8.self)
    #expect(pickle.contains("torch\nFloatStorage\n") && pickle.contains("torch\nLongStorage\n"))
    #expect(TorchStateDict(tensors).bytes == bytes)
  }

  @Test func moduleSourceIsTheExampleFile() throws {
    let file = try String(contentsOfFile: packageRoot + "/examples/pytorch/unet_module.py", encoding: .utf8)
    #expect(TorchStateDict.moduleFile == file, "copy examples/pytorch/unet_module.py into Sources/Interchange/UNetModuleSource.swift")
  }
}
