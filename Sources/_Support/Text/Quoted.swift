/// `text` in double quotes, so that an error message stays one line and
/// shows exactly what a name holds: `"` and `\` are escaped with a
/// backslash, newline, carriage return and tab as `\n`, `\r`, `\t` (as in
/// Swift, JSON and Python literals), other control characters and DEL as
/// `\u{XX}`; everything else, non-ASCII letters included, stays as it is.
package func quoted(_ text: String) -> String {
  var out = ""
  appendQuoted(text, to: &out) { scalar in
    scalar.value < 0x20 || scalar.value == 0x7F ? "\\u{\(String(scalar.value, radix: 16))}" : nil
  }
  return out
}

/// Appends `text` in double quotes to `out`, escaping `"`, `\`, newline,
/// carriage return and tab with a backslash (`\"`, `\\`, `\n`, `\r`,
/// `\t`) and any other scalar for which `escape` returns a spelling: the
/// common core of `quoted` and of JSON strings.
package func appendQuoted(_ text: String, to out: inout String, escaping escape: (Unicode.Scalar) -> String?) {
  out += "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
    }
  }
  out += "\""
}

/// `bytes` as a String when they are valid UTF-8, else nil.
package func utf8String(_ bytes: some Collection<UInt8>) -> String? {
  let text = String(decoding: bytes, as: UTF8.self)
  return text.utf8.elementsEqual(bytes) ? text : nil
}
