import CProtobufC
import DescriptorC
import Foundation

/// Why the schema cannot be generated; printed as one line by the generator.
struct SchemaError: Error, CustomStringConvertible {
  var description: String
}

/// Reads protoc's FileDescriptorSet (decoded with protobuf-c's own build of descriptor.proto) into the
/// generator's model, enforcing the schema rules of DESIGN §4.
struct SchemaLoader {
  /// Loads the files of `setBytes` that are not `google/protobuf/*` dependencies.
  static func load(_ setBytes: [UInt8]) throws -> Schema {
    guard
      let set = setBytes.withUnsafeBufferPointer({
        google__protobuf__file_descriptor_set__unpack(nil, $0.count, $0.baseAddress)
      })
    else {
      throw SchemaError(description: "the descriptor set is not a valid google.protobuf.FileDescriptorSet")
    }
    defer { google__protobuf__file_descriptor_set__free_unpacked(set, nil) }
    var files: [ProtoFile] = []
    for index in 0..<set.pointee.n_file {
      let file = set.pointee.file[index]!
      files.append(try FileLoader(file).load())
    }
    let schema = Schema(files: files)
    try Validation.check(schema)
    return schema
  }
}

/// Reads one FileDescriptorProto.
private struct FileLoader {
  let file: UnsafeMutablePointer<Google__Protobuf__FileDescriptorProto>
  let package: String
  let comments: [[Int32]: String]

  init(_ file: UnsafeMutablePointer<Google__Protobuf__FileDescriptorProto>) {
    self.file = file
    self.package = string(file.pointee.package)
    var comments: [[Int32]: String] = [:]
    if let info = file.pointee.source_code_info {
      for index in 0..<info.pointee.n_location {
        let location = info.pointee.location[index]!
        let path = Array(UnsafeBufferPointer(start: location.pointee.path, count: location.pointee.n_path))
        let text = string(location.pointee.leading_comments)
        if !text.isEmpty { comments[path] = text }
      }
    }
    self.comments = comments
  }

  func load() throws -> ProtoFile {
    let name = string(file.pointee.name)
    let syntax = string(file.pointee.syntax)
    guard syntax == "proto3" else {
      throw SchemaError(
        description: "\(name): syntax is \"\(syntax.isEmpty ? "proto2" : syntax)\"; only proto3 is allowed")
    }
    guard file.pointee.n_extension == 0 else {
      throw SchemaError(description: "\(name): extensions are not allowed")
    }
    let prefix = package.isEmpty ? "" : package + "."
    var messages: [MessageModel] = []
    for index in 0..<file.pointee.n_message_type {
      messages.append(
        try loadMessage(
          file.pointee.message_type[index]!, prefix: prefix, swiftPrefix: "", path: [4, Int32(index)]))
    }
    var enums: [EnumModel] = []
    for index in 0..<file.pointee.n_enum_type {
      enums.append(
        loadEnum(file.pointee.enum_type[index]!, prefix: prefix, swiftPrefix: "", path: [5, Int32(index)]))
    }
    var services: [ServiceModel] = []
    for index in 0..<file.pointee.n_service {
      services.append(loadService(file.pointee.service[index]!, prefix: prefix, path: [6, Int32(index)]))
    }
    let dependencies = (0..<file.pointee.n_dependency).map { string(file.pointee.dependency[$0]) }
    return ProtoFile(
      name: name, package: package, messages: messages, enums: enums, services: services,
      dependencies: dependencies, descriptorBytes: descriptorWithoutSourceInfo())
  }

  private func descriptorWithoutSourceInfo() -> [UInt8] {
    let saved = file.pointee.source_code_info
    file.pointee.source_code_info = nil
    defer { file.pointee.source_code_info = saved }
    let size = google__protobuf__file_descriptor_proto__get_packed_size(file)
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
      _ = google__protobuf__file_descriptor_proto__pack(file, buffer.baseAddress)
      count = size
    }
  }

  private func comment(_ path: [Int32]) -> String { comments[path] ?? "" }

  private func loadMessage(
    _ message: UnsafeMutablePointer<Google__Protobuf__DescriptorProto>, prefix: String, swiftPrefix: String,
    path: [Int32]
  ) throws -> MessageModel {
    let name = string(message.pointee.name)
    let fullName = prefix + name
    if let options = message.pointee.options, options.pointee.has_map_entry != 0,
      options.pointee.map_entry != 0
    {
      throw SchemaError(
        description: "\(fullName): map<> fields are not allowed; use a repeated message sorted by key")
    }
    let model = MessageModel(
      fullName: fullName, name: name, swiftName: swiftPrefix + name, comment: comment(path))
    for index in 0..<message.pointee.n_oneof_decl {
      let oneof = message.pointee.oneof_decl[index]!
      model.oneofs.append(
        OneofModel(
          name: string(oneof.pointee.name), comment: comment(path + [8, Int32(index)]), fieldNumbers: []))
    }
    for index in 0..<message.pointee.n_field {
      let field = message.pointee.field[index]!.pointee
      let fieldName = string(field.name)
      let where_ = "\(fullName).\(fieldName)"
      if field.has_proto3_optional != 0 && field.proto3_optional != 0 {
        throw SchemaError(
          description: "\(where_): proto3 `optional` is not allowed (protoc-c does not support it)")
      }
      let typeNumber = Int(field.type.rawValue)
      guard typeNumber >= 1, typeNumber <= FieldType.byNumber.count else {
        throw SchemaError(description: "\(where_): unknown field type \(typeNumber)")
      }
      let type = FieldType.byNumber[typeNumber - 1]
      switch type {
      case .group: throw SchemaError(description: "\(where_): groups are not allowed")
      case .float, .double:
        throw SchemaError(
          description:
            "\(where_): float and double are not allowed (DESIGN §4); use fixed-point integers such as ppm")
      default: break
      }
      if Naming.cKeywords.contains(fieldName) {
        throw SchemaError(
          description: "\(where_): the field name is a C keyword, which protoc-c renames; pick another")
      }
      var typeName = string(field.type_name)
      if typeName.hasPrefix(".") { typeName.removeFirst() }
      let oneofIndex = field.has_oneof_index != 0 ? Int(field.oneof_index) : nil
      let number = Int(field.number)
      if let oneofIndex { model.oneofs[oneofIndex].fieldNumbers.append(number) }
      model.fields.append(
        FieldModel(
          name: fieldName, number: number,
          isRepeated: field.label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED,
          type: type, typeName: typeName, jsonName: string(field.json_name), oneofIndex: oneofIndex,
          comment: comment(path + [2, Int32(index)])))
    }
    for index in 0..<message.pointee.n_nested_type {
      model.nestedMessages.append(
        try loadMessage(
          message.pointee.nested_type[index]!, prefix: fullName + ".", swiftPrefix: model.swiftName + ".",
          path: path + [3, Int32(index)]))
    }
    for index in 0..<message.pointee.n_enum_type {
      model.nestedEnums.append(
        loadEnum(
          message.pointee.enum_type[index]!, prefix: fullName + ".", swiftPrefix: model.swiftName + ".",
          path: path + [4, Int32(index)]))
    }
    return model
  }

  private func loadEnum(
    _ enumType: UnsafeMutablePointer<Google__Protobuf__EnumDescriptorProto>, prefix: String,
    swiftPrefix: String,
    path: [Int32]
  ) -> EnumModel {
    let name = string(enumType.pointee.name)
    let model = EnumModel(
      fullName: prefix + name, name: name, swiftName: swiftPrefix + name, comment: comment(path))
    for index in 0..<enumType.pointee.n_value {
      let value = enumType.pointee.value[index]!.pointee
      let valueName = string(value.name)
      model.values.append(
        EnumValueModel(
          name: valueName, number: value.number, caseName: Naming.enumCase(valueName, enumName: name),
          comment: comment(path + [2, Int32(index)])))
    }
    return model
  }

  private func loadService(
    _ service: UnsafeMutablePointer<Google__Protobuf__ServiceDescriptorProto>, prefix: String, path: [Int32]
  ) -> ServiceModel {
    let name = string(service.pointee.name)
    var methods: [MethodModel] = []
    for index in 0..<service.pointee.n_method {
      let method = service.pointee.method[index]!.pointee
      var input = string(method.input_type)
      var output = string(method.output_type)
      if input.hasPrefix(".") { input.removeFirst() }
      if output.hasPrefix(".") { output.removeFirst() }
      methods.append(
        MethodModel(
          name: string(method.name), inputType: input, outputType: output,
          clientStreaming: method.has_client_streaming != 0 && method.client_streaming != 0,
          serverStreaming: method.has_server_streaming != 0 && method.server_streaming != 0,
          comment: comment(path + [2, Int32(index)])))
    }
    return ServiceModel(fullName: prefix + name, name: name, comment: comment(path), methods: methods)
  }
}

private func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
  pointer.map { String(cString: $0) } ?? ""
}

/// Schema rules that need the whole schema: unique Swift names, no recursion.
enum Validation {
  static func check(_ schema: Schema) throws {
    var seen: [String: String] = [:]
    for message in schema.allMessages {
      if let other = seen[message.swiftName] {
        throw SchemaError(
          description: "\(message.fullName) and \(other) would both be Swift type \(message.swiftName)")
      }
      seen[message.swiftName] = message.fullName
    }
    for enumType in schema.allEnums {
      if let other = seen[enumType.swiftName] {
        throw SchemaError(
          description: "\(enumType.fullName) and \(other) would both be Swift type \(enumType.swiftName)")
      }
      seen[enumType.swiftName] = enumType.fullName
      if enumType.values.contains(where: { $0.caseName == "unrecognized" }) {
        throw SchemaError(
          description: "\(enumType.fullName): a value named UNRECOGNIZED clashes with the generated case")
      }
    }
    let byName = Dictionary(uniqueKeysWithValues: schema.allMessages.map { ($0.fullName, $0) })
    // A message containing itself (directly or not) would need indirect storage and makes nesting
    // unbounded; the schema keeps nesting bounded instead.
    func visit(_ message: MessageModel, _ stack: [String]) throws {
      if stack.contains(message.fullName) {
        throw SchemaError(
          description:
            "recursive message types are not allowed: \((stack + [message.fullName]).joined(separator: " -> "))"
        )
      }
      for field in message.fields where field.type == .message {
        guard let target = byName[field.typeName] else {
          throw SchemaError(description: "\(message.fullName).\(field.name): unknown type \(field.typeName)")
        }
        try visit(target, stack + [message.fullName])
      }
    }
    for message in schema.allMessages { try visit(message, []) }
  }
}
