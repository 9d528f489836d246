import COpenSSL

/// Incremental SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto.
///
/// A value type: a copy goes on hashing independently of the original, and
/// `finalize()` leaves the hasher usable, as Swift callers expect of a
/// struct. The libcrypto context is copied only when a shared one is about
/// to change.
struct SHA256 {
  /// The size of a digest in bytes.
  static let byteCount = 32

  private final class Context {
    let pointer: OpaquePointer

    /// A fresh context, or a copy of `other`'s state.
    init(copying other: Context? = nil) {
      guard let context = EVP_MD_CTX_new() else { fatalError("libcrypto: out of memory for a SHA-256 context") }
      let ready =
        if let other { EVP_MD_CTX_copy_ex(context, other.pointer) } else { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
      guard ready == 1 else {
        EVP_MD_CTX_free(context)
        fatalError("libcrypto: cannot set up a SHA-256 context (check the OpenSSL configuration)")
      }
      pointer = context
    }

    deinit { EVP_MD_CTX_free(pointer) }
  }

  private var context = Context()

  /// A hasher that has seen no bytes.
  init() {}

  /// Hashes `bytes` after those seen so far.
  mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    if !isKnownUniquelyReferenced(&context) { context = Context(copying: context) }
    guard EVP_DigestUpdate(context.pointer, base, bytes.count) == 1 else {
      fatalError("libcrypto: SHA-256 update failed")
    }
  }

  /// Hashes `bytes` after those seen so far.
  mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// The digest of the bytes seen so far (32 bytes); the hasher is unchanged.
  func finalize() -> [UInt8] {
    let copy = Context(copying: context)
    var digest = [UInt8](repeating: 0, count: Self.byteCount)
    var length: UInt32 = 0
    guard EVP_DigestFinal_ex(copy.pointer, &digest, &length) == 1, length == UInt32(Self.byteCount) else {
      fatalError("libcrypto: SHA-256 finalisation failed")
    }
    return digest
  }
}
