import Testing

@testable import Shards

@Suite("SHA-256 through libcrypto")
struct SHA256Tests {
  /// FIPS 180-4's examples (NIST CSRC "SHA256.pdf", "SHA256_2.pdf") and the
  /// one-million-"a" vector of FIPS 180-2.
  static let vectors: [(message: [UInt8], hex: String)] = [
    ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
    (
      Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
    (
      [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    ),
  ]

  @Test func knownAnswers() {
    for (message, hex) in Self.vectors {
      #expect(sha256Hex(message) == hex)
      var hasher = SHA256()
      hasher.update(message)
      #expect(hexString(hasher.finalize()) == hex)
    }
  }

  /// Any split into chunks, including empty ones, gives the one-shot digest.
  @Test func chunkedUpdatesEqualOneShot() {
    var random = SystemRandomNumberGenerator()
    let message = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &random) }
    let whole = sha256Hex(message)
    for _ in 0..<20 {
      var hasher = SHA256()
      var start = 0
      while start < message.count {
        let end = min(message.count, start + Int.random(in: 0...700, using: &random))
        message[start..<end].withUnsafeBytes { hasher.update($0) }
        start = end
      }
      #expect(hexString(hasher.finalize()) == whole)
    }
  }

  /// A copy hashes on independently, and finalising changes nothing.
  @Test func valueSemantics() {
    var a = SHA256()
    a.update(Array("ab".utf8))
    var b = a
    b.update(Array("c".utf8))
    #expect(hexString(b.finalize()) == Self.vectors[1].hex)
    #expect(hexString(a.finalize()) == sha256Hex(Array("ab".utf8)))
    a.update(Array("c".utf8))
    #expect(hexString(a.finalize()) == Self.vectors[1].hex)
    #expect(hexString(a.finalize()) == Self.vectors[1].hex)
  }
}
