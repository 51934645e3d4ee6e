/// Emits the proto3 canonical JSON mapping of each message: a writer matching Python's
/// `json_format.MessageToDict` (lowerCamelCase names, fields in number order, defaults omitted, 64-bit
/// integers as strings, bytes as base64, enums by name) and a reader accepting what `json_format.Parse`
/// accepts (JSON and proto names).
struct JSONEmitter {
  let index: TypeIndex

  func emit(_ file: ProtoFile, into w: inout CodeWriter) {
    for message in file.allMessages {
      emitMessage(message, into: &w)
      w.line()
    }
  }

  private func emitMessage(_ message: MessageModel, into w: inout CodeWriter) {
    w.block("extension \(message.swiftName) {") { w in
      w.block("public func _writeJSON(to writer: inout JSONWriter) {") { w in
        w.line("writer.beginObject()")
        for field in message.fieldsByNumber { write(field, of: message, into: &w) }
        w.line("writer.endObject()")
      }
      w.line()
      w.line("public init(_json object: JSONObject, decoder: inout JSONMessageDecoder) throws {")
      w.line("  self.init()")
      if message.fields.isEmpty {
        w.line("  if let member = object.members.first {")
        w.line("    throw decoder.unknownField(member.key).inMessage(Self.protoMessageName)")
        w.line("  }")
      } else {
        w.line("  var seen = Set<Int>()")
        w.line("  do {")
        w.line("    for (key, value) in object.members {")
        w.line("      switch key {")
        for field in message.fieldsByNumber { read(field, of: message, into: &w) }
        w.line("      default:")
        w.line("        throw decoder.unknownField(key)")
        w.line("      }")
        w.line("    }")
        w.line("  } catch let error as WireError {")
        w.line("    throw error.inMessage(Self.protoMessageName)")
        w.line("  }")
      }
      w.line("}")
    }
  }

  /// The writer call for one value of the field.
  private func writeValue(_ field: FieldModel, _ value: String) -> String {
    switch field.type {
    case .bool: "writer.bool(\(value))"
    case .string: "writer.string(\(value))"
    case .bytes: "writer.bytes(\(value))"
    case .enum: "writer.enumValue(\(value))"
    case .message: "writer.message(\(value))"
    default: field.type.is64Bit ? "writer.quotedNumber(\(value))" : "writer.number(\(value))"
    }
  }

  private func write(_ field: FieldModel, of message: MessageModel, into w: inout CodeWriter) {
    let key = "writer.key(\(swiftLiteral(field.jsonName)))"
    if let oneofIndex = field.oneofIndex {
      let oneof = message.oneofs[oneofIndex]
      w.line("if case .\(field.caseName)(let value)? = self.\(oneof.propertyName) {")
      w.line("  \(key)")
      w.line("  \(writeValue(field, "value"))")
      w.line("}")
      return
    }
    let value = "self.\(field.swiftName)"
    if field.isRepeated {
      w.line("if !\(value).isEmpty {")
      w.line("  \(key)")
      w.line("  writer.beginArray()")
      w.line("  for element in \(value) { \(writeValue(field, "element")) }")
      w.line("  writer.endArray()")
      w.line("}")
      return
    }
    let condition: String
    switch field.type {
    case .bool: condition = value
    case .string, .bytes: condition = "!\(value).isEmpty"
    case .enum: condition = "\(value).rawValue != 0"
    case .message:
      w.line("if let value = \(value) {")
      w.line("  \(key)")
      w.line("  writer.message(value)")
      w.line("}")
      return
    default: condition = "\(value) != 0"
    }
    w.line("if \(condition) {")
    w.line("  \(key)")
    w.line("  \(writeValue(field, value))")
    w.line("}")
  }

  /// The decoder call reading one JSON value `value` of the field, reporting errors under `fieldName`.
  private func readValue(_ field: FieldModel, _ value: String, fieldName: String) -> String {
    switch field.type {
    case .bool: "try decoder.bool(\(value), field: \(fieldName))"
    case .string: "try decoder.string(\(value), field: \(fieldName))"
    case .bytes: "try decoder.bytes(\(value), field: \(fieldName))"
    case .enum: "try decoder.enumValue(\(value), \(index.elementType(field)).self, field: \(fieldName))"
    case .message: "try decoder.message(\(value), \(index.elementType(field)).self, field: \(fieldName))"
    default: "try decoder.integer(\(value), \(field.type.swiftScalar).self, field: \(fieldName))"
    }
  }

  private func read(_ field: FieldModel, of message: MessageModel, into w: inout CodeWriter) {
    let names = field.jsonName == field.name ? [field.jsonName] : [field.jsonName, field.name]
    let literal = swiftLiteral(field.name)
    w.line("      case \(names.map(swiftLiteral).joined(separator: ", ")):")
    var oneofArgument = ""
    if let oneofIndex = field.oneofIndex {
      oneofArgument =
        ", oneof: [\(message.oneofs[oneofIndex].fieldNumbers.map(String.init).joined(separator: ", "))]"
    }
    w.line("        try decoder.markSeen(&seen, \(field.number), field: \(literal)\(oneofArgument))")
    w.line("        if case .null = value { continue }")
    if let oneofIndex = field.oneofIndex {
      let oneof = message.oneofs[oneofIndex]
      w.line(
        "        self.\(oneof.propertyName) = .\(field.caseName)(\(readValue(field, "value", fieldName: literal)))"
      )
    } else if field.isRepeated {
      w.line(
        "        self.\(field.swiftName) = try decoder.array(value, field: \(literal)) { element, name in")
      w.line("          \(readValue(field, "element", fieldName: "name"))")
      w.line("        }")
    } else {
      w.line("        self.\(field.swiftName) = \(readValue(field, "value", fieldName: literal))")
    }
  }
}
