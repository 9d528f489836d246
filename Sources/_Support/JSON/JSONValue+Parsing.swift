extension JSONValue {
  /// Parses JSON text (RFC 8259) strictly.
  ///
  /// Integers without fraction or exponent become `.int` (or `.uint` above
  /// `Int64.max`, `.double` beyond `UInt64`); other numbers `.double`.
  /// Rejected: invalid UTF-8, trailing text, duplicate object keys, raw
  /// control characters in strings, lone surrogate escapes, numbers beyond
  /// `Double`, nesting deeper than 256.
  ///
  /// - Parameters:
  ///   - bytes: UTF-8 JSON text.
  ///   - path: the file named in errors.
  /// - Throws: `JSONError` with the line and column.
  /// - Complexity: O(`bytes.count`).
  public static func parse(_ bytes: [UInt8], path: String? = nil) throws(JSONError) -> JSONValue {
    var parser = JSONParser(bytes: bytes, path: path)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
    return value
  }
}

private struct JSONParser {
  let bytes: [UInt8]
  let path: String?
  var index = 0
  static let maxDepth = 256

  init(bytes: [UInt8], path: String?) {
    self.bytes = bytes
    self.path = path
  }

  func failure(_ reason: String, at position: Int? = nil) -> JSONError {
    let end = min(position ?? index, bytes.count)
    var line = 1
    var column = 1
    for byte in bytes[0..<end] {
      if byte == UInt8(ascii: "\n") {
        line += 1
        column = 1
      } else if byte & 0xC0 != 0x80 {
        column += 1
      }
    }
    return JSONError(path: path, line: line, column: column, reason)
  }

  var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

  mutating func skipWhitespace() {
    while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
  }

  mutating func expect(_ literal: String) throws(JSONError) {
    let utf8 = Array(literal.utf8)
    guard index + utf8.count <= bytes.count, bytes[index..<(index + utf8.count)].elementsEqual(utf8) else {
      throw failure("expected \(literal)")
    }
    index += utf8.count
  }

  mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
    guard depth < JSONParser.maxDepth else { throw failure("nesting deeper than \(JSONParser.maxDepth)") }
    guard let byte = peek else { throw failure("unexpected end of the text, expected a value") }
    switch byte {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expect("true"); return .bool(true)
    case UInt8(ascii: "f"): try expect("false"); return .bool(false)
    case UInt8(ascii: "n"): try expect("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw failure("unexpected character \(quoted(String(decoding: [byte], as: UTF8.self))), expected a value")
    }
  }

  mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
    index += 1
    var members: [String: JSONValue] = [:]
    skipWhitespace()
    if peek == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard peek == UInt8(ascii: "\"") else { throw failure("expected a string key") }
      let keyStart = index
      let key = try parseString()
      skipWhitespace()
      guard peek == UInt8(ascii: ":") else { throw failure("expected ':' after the key") }
      index += 1
      skipWhitespace()
      let value = try parseValue(depth: depth + 1)
      guard members.updateValue(value, forKey: key) == nil else {
        throw failure("duplicate key \(quoted(key))", at: keyStart)
      }
      skipWhitespace()
      switch peek {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "}"): index += 1; return .object(members)
      default: throw failure("expected ',' or '}' in the object")
      }
    }
  }

  mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
    index += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if peek == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      switch peek {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "]"): index += 1; return .array(elements)
      default: throw failure("expected ',' or ']' in the array")
      }
    }
  }

  mutating func parseHex4() throws(JSONError) -> UInt32 {
    guard index + 4 <= bytes.count else { throw failure("incomplete \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let byte = bytes[index]
      let digit: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
      default: throw failure("invalid hex digit in a \\u escape")
      }
      value = value << 4 | UInt32(digit)
      index += 1
    }
    return value
  }

  mutating func parseString() throws(JSONError) -> String {
    index += 1  // opening quote
    var out: [UInt8] = []
    while true {
      guard let byte = peek else { throw failure("unterminated string") }
      switch byte {
      case UInt8(ascii: "\""):
        index += 1
        guard let text = utf8String(out) else { throw failure("the string is not valid UTF-8") }
        return text
      case UInt8(ascii: "\\"):
        index += 1
        guard let escape = peek else { throw failure("unterminated escape") }
        index += 1
        switch escape {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
          var code = try parseHex4()
          if (0xD800...0xDBFF).contains(code) {
            guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
              throw failure("a high surrogate escape without its low surrogate")
            }
            index += 2
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else {
              throw failure("a high surrogate escape without its low surrogate")
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
          } else if (0xDC00...0xDFFF).contains(code) {
            throw failure("a lone low surrogate escape")
          }
          out.append(contentsOf: Array(String(Character(Unicode.Scalar(code)!)).utf8))
        default:
          throw failure("invalid escape \\\(String(decoding: [escape], as: UTF8.self))")
        }
      default:
        guard byte >= 0x20 else { throw failure("a control character inside a string (escape it)") }
        out.append(byte)
        index += 1
      }
    }
  }

  mutating func parseNumber() throws(JSONError) -> JSONValue {
    let start = index
    var integral = true
    if peek == UInt8(ascii: "-") { index += 1 }
    func digits(_ parser: inout JSONParser) -> Int {
      var n = 0
      while let byte = parser.peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
        parser.index += 1
        n += 1
      }
      return n
    }
    let intStart = index
    let intDigits = digits(&self)
    guard intDigits > 0 else { throw failure("expected a digit", at: index) }
    if intDigits > 1, bytes[intStart] == UInt8(ascii: "0") { throw failure("a number with a leading zero", at: intStart) }
    if peek == UInt8(ascii: ".") {
      integral = false
      index += 1
      guard digits(&self) > 0 else { throw failure("expected a digit after '.'") }
    }
    if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
      integral = false
      index += 1
      if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
      guard digits(&self) > 0 else { throw failure("expected a digit in the exponent") }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if integral {
      if let value = Int64(text) { return .int(value) }
      if let value = UInt64(text) { return .uint(value) }
    }
    guard let value = Double(text), value.isFinite else { throw failure("the number \(text) is out of range", at: start) }
    return .double(value)
  }
}
