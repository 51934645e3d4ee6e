/// Emits the Swift value types: structs for messages, enums for oneofs and protobuf enums.
struct MessageEmitter {
  let index: TypeIndex

  func emit(_ file: ProtoFile, into w: inout CodeWriter) {
    for enumType in file.enums {
      emitEnum(enumType, into: &w)
      w.line()
    }
    for message in file.messages {
      emitMessage(message, into: &w)
      w.line()
    }
  }

  private func emitMessage(_ message: MessageModel, into w: inout CodeWriter) {
    w.doc(message.comment, fallback: "The `\(message.fullName)` message.")
    w.block("public struct \(message.name): WireMessage {") { w in
      w.line("public static let protoMessageName = \(swiftLiteral(message.fullName))")
      for field in message.fields where field.oneofIndex == nil {
        w.line()
        w.doc(field.comment, fallback: "Field `\(field.name)` (\(field.number)).")
        w.line("public var \(field.swiftName): \(index.propertyType(field)) = \(index.defaultValue(field))")
      }
      for oneof in message.oneofs {
        w.line()
        w.doc(oneof.comment, fallback: "The `\(oneof.name)` oneof: at most one of its fields is set.")
        w.line("public var \(oneof.propertyName): \(oneof.typeName)? = nil")
      }
      for oneof in message.oneofs {
        w.line()
        w.doc(oneof.comment, fallback: "The fields of the `\(oneof.name)` oneof.")
        w.block("public enum \(oneof.typeName): Hashable, Sendable {") { w in
          for field in message.fields where oneof.fieldNumbers.contains(field.number) {
            w.doc(field.comment, fallback: "Field `\(field.name)` (\(field.number)).")
            w.line("case \(field.caseName)(\(index.elementType(field)))")
          }
        }
      }
      for nested in message.nestedEnums {
        w.line()
        emitEnum(nested, into: &w)
      }
      for nested in message.nestedMessages {
        w.line()
        emitMessage(nested, into: &w)
      }
      w.line()
      w.doc("", fallback: "A message with every field at its default value.")
      w.line("public init() {}")
      let parameters =
        message.fields.filter { $0.oneofIndex == nil }.map {
          (name: $0.swiftName, type: index.propertyType($0), value: index.defaultValue($0))
        } + message.oneofs.map { (name: $0.propertyName, type: "\($0.typeName)?", value: "nil") }
      if !parameters.isEmpty {
        w.line()
        w.doc("", fallback: "A message with the given fields; the others keep their defaults.")
        w.line("public init(")
        for (offset, parameter) in parameters.enumerated() {
          let comma = offset == parameters.count - 1 ? "" : ","
          w.line("  \(Naming.unescaped(parameter.name)): \(parameter.type) = \(parameter.value)\(comma)")
        }
        w.block(") {") { w in
          for parameter in parameters {
            w.line("self.\(Naming.unescaped(parameter.name)) = \(parameter.name)")
          }
        }
      }
    }
  }

  private func emitEnum(_ enumType: EnumModel, into w: inout CodeWriter) {
    w.doc(enumType.comment, fallback: "The `\(enumType.fullName)` enum.")
    w.block("public enum \(enumType.name): WireEnum, CaseIterable {") { w in
      for value in enumType.values {
        w.doc(value.comment, fallback: "`\(value.name)` (\(value.number)).")
        w.line("case \(value.caseName)")
      }
      w.line("/// A value this version of the schema does not know, kept as its number.")
      w.line("case unrecognized(Int32)")
      w.line()
      w.line("public static let protoEnumName = \(swiftLiteral(enumType.fullName))")
      let cases = enumType.values.map { ".\($0.caseName)" }.joined(separator: ", ")
      w.line("public static let knownCases: [\(enumType.name)] = [\(cases)]")
      w.line("public static var allCases: [\(enumType.name)] { knownCases }")
      w.line()
      w.block("public init(rawValue: Int32) {") { w in
        w.block("switch rawValue {", close: "}") { w in
          var seen = Set<Int32>()
          for value in enumType.values where seen.insert(value.number).inserted {
            w.line("case \(value.number): self = .\(value.caseName)")
          }
          w.line("default: self = .unrecognized(rawValue)")
        }
      }
      w.line()
      w.block("public init?(protoName: String) {") { w in
        w.block("switch protoName {") { w in
          for value in enumType.values {
            w.line("case \(swiftLiteral(value.name)): self = .\(value.caseName)")
          }
          w.line("default: return nil")
        }
      }
      w.line()
      w.block("public var rawValue: Int32 {") { w in
        w.block("switch self {") { w in
          for value in enumType.values { w.line("case .\(value.caseName): \(value.number)") }
          w.line("case .unrecognized(let value): value")
        }
      }
      w.line()
      w.block("public var protoName: String? {") { w in
        w.block("switch self {") { w in
          for value in enumType.values { w.line("case .\(value.caseName): \(swiftLiteral(value.name))") }
          w.line("case .unrecognized: nil")
        }
      }
    }
  }
}
