internal import CProtobufC
internal import Foundation

/// A message as text for people: one `field: value` line per set field in schema order, nested
/// messages indented, repeated fields as `-` items, bytes in hexadecimal (ids, addresses and hashes read
/// as they do everywhere else in SeHealthChain) and everything else as its proto3 JSON mapping shows it.
public enum MessageText {
  /// The text of `message`; "(empty)" when no field is set.
  public static func render(_ message: some WireMessage) -> String {
    let json = message.jsonString()
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
      return json
    }
    var lines: [String] = []
    write(object, descriptor: type(of: message)._protobufCDescriptor, indent: "", into: &lines)
    return lines.isEmpty ? "(empty)" : lines.joined(separator: "\n")
  }

  private static func write(
    _ object: [String: Any], descriptor: UnsafePointer<ProtobufCMessageDescriptor>?, indent: String,
    into lines: inout [String]
  ) {
    var fields: [(key: String, field: UnsafePointer<ProtobufCFieldDescriptor>?)] = []
    if let descriptor {
      for index in 0..<Int(descriptor.pointee.n_fields) {
        let field = descriptor.pointee.fields + index
        let key = jsonName(String(cString: field.pointee.name))
        if object[key] != nil { fields.append((key, field)) }
      }
    }
    let known = Set(fields.map(\.key))
    fields += object.keys.filter { !known.contains($0) }.sorted().map { ($0, nil) }
    for (key, field) in fields {
      guard let value = object[key] else { continue }
      let type = field?.pointee.type
      let nested =
        field?.pointee.type == PROTOBUF_C_TYPE_MESSAGE
        ? field?.pointee.descriptor?.assumingMemoryBound(to: ProtobufCMessageDescriptor.self) : nil
      if let items = value as? [Any] {
        lines.append("\(indent)\(key):")
        for item in items {
          if let object = item as? [String: Any] {
            var inner: [String] = []
            write(object, descriptor: nested, indent: indent + "    ", into: &inner)
            if inner.isEmpty { inner = [indent + "    (empty)"] }
            inner[0] = indent + "  - " + inner[0].dropFirst(indent.count + 4)
            lines += inner
          } else {
            lines.append("\(indent)  - \(scalar(item, type: type))")
          }
        }
      } else if let object = value as? [String: Any] {
        lines.append("\(indent)\(key):")
        let before = lines.count
        write(object, descriptor: nested, indent: indent + "  ", into: &lines)
        if lines.count == before { lines.append(indent + "  (empty)") }
      } else {
        lines.append("\(indent)\(key): \(scalar(value, type: type))")
      }
    }
  }

  private static func scalar(_ value: Any, type: ProtobufCType?) -> String {
    if type == PROTOBUF_C_TYPE_BYTES, let text = value as? String, let data = Data(base64Encoded: text) {
      return data.map { String(format: "%02x", $0) }.joined()
    }
    if type == PROTOBUF_C_TYPE_BOOL { return (value as? Bool) == true ? "true" : "false" }
    return "\(value)"
  }

  /// The proto3 JSON name of a field: lowerCamelCase of its proto name.
  private static func jsonName(_ name: String) -> String {
    var result = ""
    var upper = false
    for character in name {
      if character == "_" {
        upper = true
      } else {
        result += upper ? character.uppercased() : String(character)
        upper = false
      }
    }
    return result
  }
}
