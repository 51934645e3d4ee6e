/// Looks up the Swift and C names of referenced types, and the Swift spelling of field types.
struct TypeIndex {
  let messages: [String: MessageModel]
  let enums: [String: EnumModel]

  init(_ schema: Schema) {
    messages = Dictionary(uniqueKeysWithValues: schema.allMessages.map { ($0.fullName, $0) })
    enums = Dictionary(uniqueKeysWithValues: schema.allEnums.map { ($0.fullName, $0) })
  }

  /// The Swift type of one value of the field (the element type for repeated fields).
  func elementType(_ field: FieldModel) -> String {
    switch field.type {
    case .bool: "Bool"
    case .string: "String"
    case .bytes: "Data"
    case .enum: enums[field.typeName]!.swiftName
    case .message: messages[field.typeName]!.swiftName
    default: field.type.swiftScalar
    }
  }

  /// The Swift type of the stored property.
  func propertyType(_ field: FieldModel) -> String {
    if field.isRepeated { return "[\(elementType(field))]" }
    if field.type == .message { return elementType(field) + "?" }
    return elementType(field)
  }

  /// The proto3 default of the property.
  func defaultValue(_ field: FieldModel) -> String {
    if field.isRepeated { return "[]" }
    switch field.type {
    case .message: return "nil"
    case .enum: return ".\(enums[field.typeName]!.defaultCase)"
    case .string: return "\"\""
    case .bytes: return "Data()"
    case .bool: return "false"
    default: return "0"
    }
  }

  func cType(ofMessage fullName: String) -> String { messages[fullName]!.cTypeName }
}
