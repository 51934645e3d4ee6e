public import Foundation

/// Writes proto3 canonical JSON exactly as Python's `google.protobuf.json_format` does through
/// `json.dumps(..., ensure_ascii=False)`: compact (`separators=(",", ":")`) or indented by two spaces
/// (`indent=2`, the layout of `MessageToJson`). Fields are written in field-number order.
public struct JSONWriter {
  public private(set) var bytes: [UInt8] = []
  private let indent: Int
  /// For each open container, whether it already has an element.
  private var hasElement: [Bool] = []
  private var afterKey = false

  public init(pretty: Bool) {
    indent = pretty ? 2 : 0
  }

  public var string: String { String(decoding: bytes, as: UTF8.self) }

  private mutating func beginValue() {
    if afterKey {
      afterKey = false
      return
    }
    guard let last = hasElement.last else { return }
    if last { bytes.append(UInt8(ascii: ",")) }
    hasElement[hasElement.count - 1] = true
    newline()
  }

  private mutating func newline() {
    guard indent > 0 else { return }
    bytes.append(UInt8(ascii: "\n"))
    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * hasElement.count))
  }

  public mutating func beginObject() {
    beginValue()
    bytes.append(UInt8(ascii: "{"))
    hasElement.append(false)
  }

  public mutating func endObject() {
    let had = hasElement.removeLast()
    if had { newline() }
    bytes.append(UInt8(ascii: "}"))
  }

  public mutating func beginArray() {
    beginValue()
    bytes.append(UInt8(ascii: "["))
    hasElement.append(false)
  }

  public mutating func endArray() {
    let had = hasElement.removeLast()
    if had { newline() }
    bytes.append(UInt8(ascii: "]"))
  }

  public mutating func key(_ name: StaticString) {
    beginValue()
    appendQuoted(name.withUTF8Buffer { Array($0) })
    bytes.append(UInt8(ascii: ":"))
    if indent > 0 { bytes.append(UInt8(ascii: " ")) }
    afterKey = true
  }

  public mutating func string(_ value: String) {
    beginValue()
    var value = value
    value.withUTF8 { appendQuoted(Array($0)) }
  }

  public mutating func bytes(_ value: Data) {
    beginValue()
    bytes.append(UInt8(ascii: "\""))
    bytes.append(contentsOf: Array(value.base64EncodedString().utf8))
    bytes.append(UInt8(ascii: "\""))
  }

  /// 32-bit integers are JSON numbers.
  public mutating func number<T: FixedWidthInteger>(_ value: T) {
    beginValue()
    bytes.append(contentsOf: Array(String(value).utf8))
  }

  /// 64-bit integers are JSON strings, so no precision is lost in JavaScript.
  public mutating func quotedNumber<T: FixedWidthInteger>(_ value: T) {
    beginValue()
    bytes.append(UInt8(ascii: "\""))
    bytes.append(contentsOf: Array(String(value).utf8))
    bytes.append(UInt8(ascii: "\""))
  }

  public mutating func bool(_ value: Bool) {
    beginValue()
    bytes.append(contentsOf: Array((value ? "true" : "false").utf8))
  }

  /// Known enum values by name, unknown ones by number.
  public mutating func enumValue<E: WireEnum>(_ value: E) {
    if let name = value.protoName { string(name) } else { number(value.rawValue) }
  }

  public mutating func message<M: WireMessage>(_ value: M) {
    value._writeJSON(to: &self)
  }

  private mutating func appendQuoted(_ utf8: [UInt8]) {
    bytes.append(UInt8(ascii: "\""))
    for byte in utf8 {
      switch byte {
      case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
      case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
      case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
      case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
      case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
      case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
      case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
      case 0..<0x20:
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [
          0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)],
        ])
      default: bytes.append(byte)
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }
}

extension WireMessage {
  /// The proto3 canonical JSON of the message: compact by default, or indented by two spaces as
  /// Python's `json_format.MessageToJson` prints it.
  public func jsonString(pretty: Bool = false) -> String {
    var writer = JSONWriter(pretty: pretty)
    _writeJSON(to: &writer)
    return writer.string
  }

  /// The proto3 canonical JSON as UTF-8 bytes.
  public func jsonUTF8Data(pretty: Bool = false) -> Data {
    var writer = JSONWriter(pretty: pretty)
    _writeJSON(to: &writer)
    return Data(writer.bytes)
  }
}
