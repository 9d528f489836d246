extension JSONValue {
  /// The value as JSON text, deterministic byte for byte.
  ///
  /// - Object keys sorted by Unicode code point (as Python's
  ///   `json.dumps(sort_keys=True)`).
  /// - With `indent` > 0: one member or element per line, `"key": value`,
  ///   empty containers as `{}` and `[]`; with 0: no whitespace at all.
  /// - Integers in decimal; doubles in Swift's shortest round-trip form
  ///   (`0.1`, `1.0`, `1e-05`, `1e+16`), the same on every platform.
  /// - Strings as UTF-8 with `"`, `\`, and control characters escaped
  ///   (`\n`, `\t`, … or `\u00XX`); nothing else escaped.
  ///
  /// - Precondition: no `.double` is NaN or infinite.
  /// - Complexity: O(size of the output + k log k per object of k members).
  public func serialized(indent: Int = 2) -> String {
    var out = ""
    write(to: &out, indent: indent, depth: 0)
    return out
  }

  private func write(to out: inout String, indent: Int, depth: Int) {
    switch self {
    case .null: out += "null"
    case .bool(let x): out += x ? "true" : "false"
    case .int(let x): out += String(x)
    case .uint(let x): out += String(x)
    case .double(let x):
      precondition(x.isFinite, "JSON has no form for \(x)")
      out += x.description
    case .string(let x): JSONValue.writeString(x, to: &out)
    case .array(let elements):
      guard !elements.isEmpty else { out += "[]"; return }
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += "," }
        newline(&out, indent: indent, depth: depth + 1)
        element.write(to: &out, indent: indent, depth: depth + 1)
      }
      newline(&out, indent: indent, depth: depth)
      out += "]"
    case .object(let members):
      guard !members.isEmpty else { out += "{}"; return }
      out += "{"
      let keys = members.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
      for (i, key) in keys.enumerated() {
        if i > 0 { out += "," }
        newline(&out, indent: indent, depth: depth + 1)
        JSONValue.writeString(key, to: &out)
        out += indent > 0 ? ": " : ":"
        members[key]!.write(to: &out, indent: indent, depth: depth + 1)
      }
      newline(&out, indent: indent, depth: depth)
      out += "}"
    }
  }

  private func newline(_ out: inout String, indent: Int, depth: Int) {
    guard indent > 0 else { return }
    out += "\n"
    out += String(repeating: " ", count: indent * depth)
  }

  private static func writeString(_ text: String, to out: inout String) {
    appendQuoted(text, to: &out) { scalar in
      switch scalar.value {
      case 0x08: return "\\b"
      case 0x0C: return "\\f"
      case ..<0x20:
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: return nil
      }
    }
  }
}
