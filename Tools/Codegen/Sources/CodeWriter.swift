/// Accumulates Swift source with two-space indentation.
struct CodeWriter {
  private(set) var text = ""
  private var level = 0

  mutating func line(_ string: String = "") {
    if string.isEmpty {
      text += "\n"
    } else {
      text += String(repeating: "  ", count: level) + string + "\n"
    }
  }

  /// Writes `open`, the body one level deeper, then `close`.
  mutating func block(_ open: String, close: String = "}", _ body: (inout CodeWriter) throws -> Void) rethrows
  {
    line(open)
    level += 1
    try body(&self)
    level -= 1
    line(close)
  }

  /// Writes what `body` writes; if it can throw, inside `do { } catch let error as WireError { }` that
  /// names `Self` as the failing message type.
  mutating func catchingWireErrors(_ body: (inout CodeWriter) -> Void) {
    var inner = CodeWriter()
    body(&inner)
    let lines = inner.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    guard inner.text.contains("try ") else {
      for bodyLine in lines { line(String(bodyLine)) }
      return
    }
    line("do {")
    for bodyLine in lines { line(bodyLine.isEmpty ? "" : "  " + bodyLine) }
    line("} catch let error as WireError {")
    line("  throw error.inMessage(Self.protoMessageName)")
    line("}")
  }

  /// A `///` doc comment from a proto comment (or `fallback` when the proto has none).
  mutating func doc(_ comment: String, fallback: String = "") {
    var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0)
    }
    while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
    if lines.isEmpty && !fallback.isEmpty { lines = [fallback] }
    for docLine in lines { line(docLine.isEmpty ? "///" : "/// " + docLine) }
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
    String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
  }
}

extension Set where Element == Character {
  static let whitespaces: Set<Character> = [" ", "\t"]
}

/// A Swift string literal for `text`.
func swiftLiteral(_ text: String) -> String {
  var result = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\t": result += "\\t"
    case "\r": result += "\\r"
    default:
      if scalar.value < 0x20 || scalar.value == 0x7F {
        result += "\\u{\(String(scalar.value, radix: 16))}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
  }
  return result + "\""
}
