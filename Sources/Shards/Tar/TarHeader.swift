/// The POSIX ustar header (IEEE Std 1003.1-1988, `pax` "ustar Interchange
/// Format"): 512 bytes of fixed fields, numbers in octal ASCII.
///
/// Field offsets: name 0..<100, mode 100, uid 108, gid 116, size 124..<136,
/// mtime 136..<148, chksum 148..<156, typeflag 156, linkname 157..<257,
/// magic 257..<263, version 263..<265, uname 265, gname 297, devmajor 329,
/// devminor 337, prefix 345..<500.
enum TarHeader {
  static let blockSize = 512
  /// The largest value an 11-digit octal field holds: 8 GiB − 1.
  static let maxOctal11 = 0o777_7777_7777
  static let nameLength = 100
  static let prefixLength = 155

  static let checksumRange = 148..<156
  static let typeflagOffset = 156

  /// Splits `name` into ustar (prefix, name) fields, as Python's tarfile
  /// does: the longest prefix of at most 155 bytes that ends before a `/`.
  /// Returns nil when no split fits.
  static func split(_ name: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
    if name.count <= nameLength { return (name[0..<0], name[...]) }
    var cut = min(prefixLength, name.count - 1)
    while cut >= 0, name[cut] != UInt8(ascii: "/") { cut -= 1 }
    guard cut > 0 else { return nil }
    let rest = name[(cut + 1)...]
    guard !rest.isEmpty, rest.count <= nameLength else { return nil }
    return (name[0..<cut], rest)
  }

  /// The 512-byte header of a regular file `name` of `size` bytes.
  ///
  /// `name` must already be valid (see `EntryName.check`) and `size`,
  /// `mtime` within `0...maxOctal11`.
  static func encode(name: [UInt8], size: Int, mtime: Int) -> [UInt8]? {
    guard let (prefix, shortName) = split(name) else { return nil }
    precondition((0...maxOctal11).contains(size) && (0...maxOctal11).contains(mtime))
    var block = [UInt8](repeating: 0, count: blockSize)
    func put(_ bytes: some Collection<UInt8>, at offset: Int) {
      for (i, b) in bytes.enumerated() { block[offset + i] = b }
    }
    put(shortName, at: 0)
    put(octal(0o644, digits: 7), at: 100)
    put(octal(0, digits: 7), at: 108)
    put(octal(0, digits: 7), at: 116)
    put(octal(size, digits: 11), at: 124)
    put(octal(mtime, digits: 11), at: 136)
    block[typeflagOffset] = UInt8(ascii: "0")
    put(Array("ustar\0".utf8), at: 257)
    put(Array("00".utf8), at: 263)
    put(octal(0, digits: 7), at: 329)
    put(octal(0, digits: 7), at: 337)
    put(prefix, at: 345)
    // chksum: six octal digits, NUL, space (as tar and Python write it).
    let sum = checksums(block).unsigned
    put(octal(sum, digits: 6), at: 148)
    block[154] = 0
    block[155] = UInt8(ascii: " ")
    return block
  }

  /// `value` as `digits` zero-padded octal digits followed by a NUL.
  static func octal(_ value: Int, digits: Int) -> [UInt8] {
    var out = [UInt8](repeating: UInt8(ascii: "0"), count: digits + 1)
    out[digits] = 0
    var v = value
    var i = digits - 1
    while v > 0, i >= 0 {
      out[i] = UInt8(ascii: "0") + UInt8(v & 7)
      v >>= 3
      i -= 1
    }
    return out
  }

  /// The header checksum: the sum of the 512 bytes with the checksum field
  /// counted as spaces, over unsigned bytes (POSIX) and over signed bytes
  /// (what some historic tars wrote).
  static func checksums(_ block: some RandomAccessCollection<UInt8>) -> (unsigned: Int, signed: Int) {
    var unsigned = 0
    var signed = 0
    for (i, byte) in block.enumerated() {
      let b = checksumRange.contains(i) ? UInt8(ascii: " ") : byte
      unsigned += Int(b)
      signed += Int(Int8(bitPattern: b))
    }
    return (unsigned, signed)
  }

  /// Parses an octal number field: optional leading spaces, octal digits,
  /// ended by NUL, space or the field's end. Returns nil for anything else
  /// (including base-256 numbers, whose first byte has the high bit set).
  static func parseOctal(_ field: ArraySlice<UInt8>) -> Int? {
    var i = field.startIndex
    while i < field.endIndex, field[i] == UInt8(ascii: " ") { i += 1 }
    var value = 0
    var digits = 0
    while i < field.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(field[i]) {
      value = value << 3 | Int(field[i] - UInt8(ascii: "0"))
      digits += 1
      i += 1
      if digits > 21 { return nil }
    }
    guard digits > 0 else { return nil }
    while i < field.endIndex {
      guard field[i] == 0 || field[i] == UInt8(ascii: " ") else { return nil }
      i += 1
    }
    return value
  }

  /// The bytes of a NUL-terminated text field, up to its first NUL.
  static func text(_ field: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    if let nul = field.firstIndex(of: 0) { return field[field.startIndex..<nul] }
    return field
  }

  /// What a typeflag means, for error messages; nil for regular files.
  static func nonRegularKind(_ flag: UInt8) -> String? {
    switch flag {
    case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): return nil
    case UInt8(ascii: "1"): return "a hard link (typeflag '1')"
    case UInt8(ascii: "2"): return "a symbolic link (typeflag '2')"
    case UInt8(ascii: "3"): return "a character device (typeflag '3')"
    case UInt8(ascii: "4"): return "a block device (typeflag '4')"
    case UInt8(ascii: "5"): return "a directory (typeflag '5')"
    case UInt8(ascii: "6"): return "a FIFO (typeflag '6')"
    case UInt8(ascii: "x"): return "a pax extended header (typeflag 'x')"
    case UInt8(ascii: "g"): return "a pax global header (typeflag 'g')"
    case UInt8(ascii: "L"), UInt8(ascii: "K"):
      return "a GNU long-name header (typeflag '\(Character(Unicode.Scalar(flag)))')"
    case 0x21...0x7E: return "an entry of unknown type '\(Character(Unicode.Scalar(flag)))'"
    default: return "an entry of unknown type byte \(flag)"
    }
  }
}

/// The rules every entry name obeys, on writing and on reading.
enum EntryName {
  /// Why `name` is not a safe relative file name, or nil when it is: not
  /// empty, relative, no `..` component, no NUL, not ending in `/`.
  static func problem(_ name: String) -> String? {
    if name.isEmpty { return "the name is empty" }
    if name.utf8.contains(0) { return "the name contains a NUL byte" }
    if name.hasPrefix("/") { return "the name is an absolute path" }
    if name.hasSuffix("/") { return "the name ends in '/' (a directory)" }
    if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
      return "the name contains a '..' component"
    }
    return nil
  }
}
