/// Emits the protobuf-c bridge of each message: its descriptor, the Swift -> C builder used for
/// packing, and the C -> Swift reader used after unpacking.
struct BridgeEmitter {
  let index: TypeIndex

  func emit(_ file: ProtoFile, into w: inout CodeWriter) {
    for message in file.allMessages {
      emitMessage(message, into: &w)
      w.line()
    }
  }

  private func emitMessage(_ message: MessageModel, into w: inout CodeWriter) {
    let c = message.cTypeName
    w.block("extension \(message.swiftName) {") { w in
      w.line(
        "nonisolated(unsafe) private static let cDescriptor: UnsafePointer<ProtobufCMessageDescriptor> = {")
      w.line("  var message = \(c)()")
      w.line("  \(message.cLowerName)__init(&message)")
      w.line("  return message.base.descriptor")
      w.line("}()")
      w.line()
      w.line("public static var _protobufCDescriptor: UnsafePointer<ProtobufCMessageDescriptor> {")
      w.line("  cDescriptor")
      w.line("}")
      w.line()
      w.block("public func _protobufC(arena: inout EncodeArena) throws -> UnsafeMutableRawPointer {") { w in
        let needsC = !message.fields.isEmpty
        w.line("\(needsC ? "let c" : "let message") = arena.message(\(c).self, \(message.cLowerName)__init)")
        if needsC {
          w.catchingWireErrors { w in
            for field in message.fieldsByNumber where field.oneofIndex == nil { encode(field, into: &w) }
            for oneof in message.oneofs { encode(oneof, of: message, into: &w) }
          }
          w.line("return UnsafeMutableRawPointer(c)")
        } else {
          w.line("return UnsafeMutableRawPointer(message)")
        }
      }
      w.line()
      w.line("public init(")
      w.line("  _protobufC message: UnsafeMutableRawPointer, decoder: inout CMessageDecoder")
      w.block(") throws {") { w in
        w.line("self.init()")
        if !message.fields.isEmpty {
          w.line("let c = message.assumingMemoryBound(to: \(c).self)")
          w.catchingWireErrors { w in
            for field in message.fieldsByNumber where field.oneofIndex == nil { decode(field, into: &w) }
            for oneof in message.oneofs { decode(oneof, of: message, into: &w) }
          }
        }
      }
    }
  }

  private func encode(_ field: FieldModel, into w: inout CodeWriter) {
    let value = "self.\(field.swiftName)"
    let target = "c.pointee.\(field.name)"
    let literal = swiftLiteral(field.name)
    if field.isRepeated {
      w.block("if !\(value).isEmpty {") { w in
        w.line("c.pointee.n_\(field.name) = \(value).count")
        switch field.type {
        case .bool: w.line("\(target) = arena.copy(\(value).map { $0 ? 1 : 0 })")
        case .enum: w.line("\(target) = arena.copyEnums(\(value))")
        case .string: w.line("\(target) = try arena.cStrings(\(value), field: \(literal))")
        case .bytes: w.line("\(target) = arena.binaries(\(value))")
        case .message: w.line("\(target) = try arena.children(\(value), field: \(literal))")
        default: w.line("\(target) = arena.copy(\(value))")
        }
      }
      return
    }
    switch field.type {
    case .bool: w.line("\(target) = \(value) ? 1 : 0")
    case .enum: w.line("\(target) = .init(rawValue: .init(truncatingIfNeeded: \(value).rawValue))")
    case .string:
      w.line("if !\(value).isEmpty { \(target) = try arena.cString(\(value), field: \(literal)) }")
    case .bytes:
      w.line("if !\(value).isEmpty { arena.setBytes(\(value), into: c.pointer(to: \\.\(field.name))!) }")
    case .message:
      let cType = index.cType(ofMessage: field.typeName)
      w.line(
        "if let value = \(value) { \(target) = try arena.child(value, field: \(literal), as: \(cType).self) }"
      )
    default: w.line("\(target) = \(value)")
    }
  }

  private func encode(_ oneof: OneofModel, of message: MessageModel, into w: inout CodeWriter) {
    w.block("switch self.\(oneof.propertyName) {") { w in
      for field in message.fieldsByNumber
      where field.oneofIndex != nil && oneof.fieldNumbers.contains(field.number) {
        let target = "c.pointee.\(field.name)"
        let literal = swiftLiteral(field.name)
        w.line("case .\(field.caseName)(let value)?:")
        w.line("  c.pointee.\(oneof.name)_case = .init(rawValue: \(field.number))")
        switch field.type {
        case .bool: w.line("  \(target) = value ? 1 : 0")
        case .enum: w.line("  \(target) = .init(rawValue: .init(truncatingIfNeeded: value.rawValue))")
        case .string: w.line("  \(target) = try arena.cString(value, field: \(literal))")
        case .bytes: w.line("  \(target) = arena.copiedBinary(value)")
        case .message:
          w.line(
            "  \(target) = try arena.child(value, field: \(literal), as: \(index.cType(ofMessage: field.typeName)).self)"
          )
        default: w.line("  \(target) = value")
        }
      }
      w.line("case nil:")
      w.line("  break")
    }
  }

  private func decode(_ field: FieldModel, into w: inout CodeWriter) {
    let target = "self.\(field.swiftName)"
    let source = "c.pointee.\(field.name)"
    let literal = swiftLiteral(field.name)
    if field.isRepeated {
      let count = "count: c.pointee.n_\(field.name)"
      switch field.type {
      case .bool: w.line("\(target) = decoder.bools(\(source), \(count))")
      case .enum: w.line("\(target) = decoder.enums(\(index.elementType(field)).self, \(source), \(count))")
      case .string: w.line("\(target) = try decoder.strings(\(source), \(count), field: \(literal))")
      case .bytes: w.line("\(target) = decoder.bytesArray(\(source), \(count))")
      case .message:
        w.line(
          "\(target) = try decoder.messages(\(index.elementType(field)).self, \(source), \(count), field: \(literal))"
        )
      default: w.line("\(target) = decoder.scalars(\(source), \(count))")
      }
      return
    }
    w.line("\(target) = \(decodeValue(field, source: source))")
  }

  private func decodeValue(_ field: FieldModel, source: String) -> String {
    let literal = swiftLiteral(field.name)
    switch field.type {
    case .bool: return "\(source) != 0"
    case .enum: return "\(index.elementType(field))(rawValue: Int32(truncatingIfNeeded: \(source).rawValue))"
    case .string: return "try decoder.string(\(source), field: \(literal))"
    case .bytes: return "decoder.bytes(&\(source))"
    case .message:
      return "try decoder.message(\(index.elementType(field)).self, \(source), field: \(literal))"
    default: return source
    }
  }

  private func decode(_ oneof: OneofModel, of message: MessageModel, into w: inout CodeWriter) {
    w.block("switch c.pointee.\(oneof.name)_case.rawValue {") { w in
      for field in message.fieldsByNumber
      where field.oneofIndex != nil && oneof.fieldNumbers.contains(field.number) {
        let source = "c.pointee.\(field.name)"
        w.line("case \(field.number):")
        if field.type == .message {
          w.line(
            "  self.\(oneof.propertyName) = \(decodeValue(field, source: source)).map { .\(field.caseName)($0) }"
          )
        } else {
          w.line("  self.\(oneof.propertyName) = .\(field.caseName)(\(decodeValue(field, source: source)))")
        }
      }
      w.line("default:")
      w.line("  break")
    }
  }
}
