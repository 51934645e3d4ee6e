/// Emits deterministic sample messages of every type for the interop vectors: the default message, a
/// "typical" message with every field set, an "edge" message with extreme values (maximal and negative
/// varints, non-ASCII strings, byte strings longer than 127 bytes, repeated fields of several elements), and one message
/// per further oneof case with that case set to its default value.
struct SampleEmitter {
  let index: TypeIndex
  let module: String

  func emit(_ schema: Schema, into w: inout CodeWriter) {
    w.doc("", fallback: "Sample messages of module \(module) for interop vectors, by message type.")
    w.block("enum \(module)Samples {") { w in
      w.line("/// Every sample: its message type, its name and the message.")
      w.block("static func all() -> [(name: String, message: any WireMessage)] {") { w in
        w.line("var result: [(name: String, message: any WireMessage)] = []")
        for message in schema.allMessages {
          let id = identifier(message)
          w.line("result.append((\"default\", \(message.swiftName)()))")
          if !message.fields.isEmpty {
            w.line("result.append((\"typical\", typical_\(id)()))")
            w.line("result.append((\"edge\", edge_\(id)()))")
          }
          for oneof in message.oneofs {
            for number in oneof.fieldNumbers.dropFirst() {
              let field = message.fields.first { $0.number == number }!
              w.line("result.append((\"oneof_\(field.name)\", oneof_\(id)_\(field.name)()))")
            }
          }
        }
        w.line("return result")
      }
      for message in schema.allMessages where !message.fields.isEmpty {
        w.line()
        emitBuilder(message, variant: "typical", into: &w)
        w.line()
        emitBuilder(message, variant: "edge", into: &w)
        for oneof in message.oneofs {
          for number in oneof.fieldNumbers.dropFirst() {
            let field = message.fields.first { $0.number == number }!
            w.line()
            w.block("static func oneof_\(identifier(message))_\(field.name)() -> \(message.swiftName) {") {
              w in
              w.line("var message = \(message.swiftName)()")
              w.line("message.\(oneof.propertyName) = .\(field.caseName)(\(zeroValue(field)))")
              w.line("return message")
            }
          }
        }
      }
    }
  }

  private func identifier(_ message: MessageModel) -> String {
    message.swiftName.replacingOccurrences(of: ".", with: "_")
  }

  private func emitBuilder(_ message: MessageModel, variant: String, into w: inout CodeWriter) {
    w.block("static func \(variant)_\(identifier(message))() -> \(message.swiftName) {") { w in
      w.line("var message = \(message.swiftName)()")
      for field in message.fieldsByNumber where field.oneofIndex == nil {
        if field.isRepeated {
          let count = variant == "edge" ? 3 : 2
          let elements = (0..<count).map { value(field, variant: variant, element: $0) }
          w.line("message.\(field.swiftName) = [\(elements.joined(separator: ", "))]")
        } else {
          w.line("message.\(field.swiftName) = \(value(field, variant: variant, element: 0))")
        }
      }
      for oneof in message.oneofs {
        let field = message.fields.first { $0.number == oneof.fieldNumbers[0] }!
        w.line(
          "message.\(oneof.propertyName) = .\(field.caseName)(\(value(field, variant: variant, element: 0)))")
      }
      w.line("return message")
    }
  }

  private func zeroValue(_ field: FieldModel) -> String {
    switch field.type {
    case .message: "\(index.elementType(field))()"
    case .enum: ".\(index.enums[field.typeName]!.defaultCase)"
    case .string: "\"\""
    case .bytes: "Data()"
    case .bool: "false"
    default: "0"
    }
  }

  private func value(_ field: FieldModel, variant: String, element: Int) -> String {
    let edge = variant == "edge"
    let seed = field.number * 7 + element
    switch field.type {
    case .message:
      let target = index.messages[field.typeName]!
      return target.fields.isEmpty ? "\(target.swiftName)()" : "\(variant)_\(identifier(target))()"
    case .enum:
      let values = index.enums[field.typeName]!.values
      let chosen = edge ? values[values.count - 1] : values[min(1 + element, values.count - 1)]
      return ".\(chosen.caseName)"
    case .string:
      if edge { return swiftLiteral("Édge \(field.name) ☺ 😈 \t\"quoted\\\" \u{1} 中文 #\(element)") }
      return swiftLiteral("\(field.name)-\(element)")
    case .bytes:
      let count = edge ? 200 + element : 20 + element
      return "Data((0..<\(count)).map { UInt8(truncatingIfNeeded: $0 &* \(seed % 251 + 1) &+ \(element)) })"
    case .bool:
      return "true"
    case .int32, .sint32, .sfixed32:
      return edge ? (element % 2 == 0 ? "Int32.min" : "-1") : "\(seed)"
    case .int64, .sint64, .sfixed64:
      return edge ? (element % 2 == 0 ? "Int64.min" : "Int64.max") : "\(seed * 1_000_003)"
    case .uint32, .fixed32:
      return edge ? "UInt32.max" : "\(seed)"
    case .uint64, .fixed64:
      return edge ? "UInt64.max" : "\(UInt64(seed) * 1_099_511_627_791)"
    default:
      fatalError("no sample for \(field.type)")
    }
  }
}
