/// The schema as the generator sees it: files, messages, fields, enums and services, with their
/// comments, read from protoc's FileDescriptorSet.
struct Schema {
  var files: [ProtoFile]

  /// Every message of every file, nested ones included, in declaration order.
  var allMessages: [MessageModel] { files.flatMap { $0.allMessages } }
  /// Every enum, nested ones included.
  var allEnums: [EnumModel] { files.flatMap { $0.allEnums } }
}

struct ProtoFile {
  var name: String
  var package: String
  var messages: [MessageModel]
  var enums: [EnumModel]
  var services: [ServiceModel]
  /// The files this one imports (FileDescriptorProto.dependency), in declaration order.
  var dependencies: [String]
  /// The FileDescriptorProto without source info, serialized (served by server reflection).
  var descriptorBytes: [UInt8]

  var allMessages: [MessageModel] { messages.flatMap { [$0] + $0.allNestedMessages } }
  var allEnums: [EnumModel] { enums + messages.flatMap { $0.allNestedEnums } }
}

final class MessageModel {
  let fullName: String
  let name: String
  /// The Swift type, qualified for nested types (`HealthCheckResponse.ServingStatus`).
  let swiftName: String
  let cTypeName: String
  let cLowerName: String
  let comment: String
  var fields: [FieldModel] = []
  var oneofs: [OneofModel] = []
  var nestedMessages: [MessageModel] = []
  var nestedEnums: [EnumModel] = []

  init(fullName: String, name: String, swiftName: String, comment: String) {
    self.fullName = fullName
    self.name = name
    self.swiftName = swiftName
    self.comment = comment
    self.cTypeName = Naming.cTypeName(fullName)
    self.cLowerName = Naming.cLowerName(fullName)
  }

  var allNestedMessages: [MessageModel] { nestedMessages.flatMap { [$0] + $0.allNestedMessages } }
  var allNestedEnums: [EnumModel] { nestedEnums + nestedMessages.flatMap { $0.allNestedEnums } }
  var fieldsByNumber: [FieldModel] { fields.sorted { $0.number < $1.number } }
}

enum FieldType: String {
  case double, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes, uint32
  case `enum`, sfixed32, sfixed64, sint32, sint64

  /// Values of descriptor.proto's FieldDescriptorProto.Type, in order from 1.
  static let byNumber: [FieldType] = [
    .double, .float, .int64, .uint64, .int32, .fixed64, .fixed32, .bool, .string, .group, .message, .bytes,
    .uint32, .enum, .sfixed32, .sfixed64, .sint32, .sint64,
  ]

  var is64Bit: Bool { [.int64, .uint64, .fixed64, .sfixed64, .sint64].contains(self) }
  var isScalarNumber: Bool {
    [.int64, .uint64, .int32, .fixed64, .fixed32, .uint32, .sfixed32, .sfixed64, .sint32, .sint64].contains(
      self)
  }

  /// The Swift type of a scalar number.
  var swiftScalar: String {
    switch self {
    case .int32, .sint32, .sfixed32: "Int32"
    case .int64, .sint64, .sfixed64: "Int64"
    case .uint32, .fixed32: "UInt32"
    case .uint64, .fixed64: "UInt64"
    default: fatalError("not a scalar number: \(self)")
    }
  }
}

struct FieldModel {
  var name: String
  var number: Int
  var isRepeated: Bool
  var type: FieldType
  /// For message and enum fields, the referenced type's full name (without the leading dot).
  var typeName: String
  var jsonName: String
  var oneofIndex: Int?
  var comment: String
  var swiftName: String { Naming.swiftProperty(name) }
  var caseName: String { Naming.swiftProperty(name) }
}

struct OneofModel {
  var name: String
  var comment: String
  var fieldNumbers: [Int]
  var propertyName: String { Naming.swiftProperty(name) }
  var typeName: String { Naming.upperCamel(name) }
}

final class EnumModel {
  let fullName: String
  let name: String
  let swiftName: String
  let comment: String
  var values: [EnumValueModel] = []

  init(fullName: String, name: String, swiftName: String, comment: String) {
    self.fullName = fullName
    self.name = name
    self.swiftName = swiftName
    self.comment = comment
  }

  /// The case for number 0, the proto3 default.
  var defaultCase: String { values.first { $0.number == 0 }?.caseName ?? values[0].caseName }
}

struct EnumValueModel {
  var name: String
  var number: Int32
  var caseName: String
  var comment: String
}

struct ServiceModel {
  var fullName: String
  var name: String
  var comment: String
  var methods: [MethodModel]
}

struct MethodModel {
  var name: String
  var inputType: String
  var outputType: String
  var clientStreaming: Bool
  var serverStreaming: Bool
  var comment: String
}
