public import CProtobufC
internal import Foundation

/// Checks binary input against a message's protobuf-c descriptor before protobuf-c unpacks it.
///
/// protobuf-c reports every failure as a bare NULL, has no nesting limit and silently truncates
/// strings at NUL. The scanner walks the tag/length structure first and turns each problem into a
/// precise ``WireError``: truncation, bad tags and varints, wire types that do not match the declared
/// field type, groups, nesting deeper than the limit, and NUL inside strings. Unknown fields are
/// skipped without being parsed, so their content cannot nest the scanner. UTF-8 validity is checked
/// when strings become Swift strings.
@usableFromInline struct WireScanner {
  private let base: UnsafePointer<UInt8>
  private let limits: DecodingLimits

  @usableFromInline init(base: UnsafePointer<UInt8>, limits: DecodingLimits) {
    self.base = base
    self.limits = limits
  }

  /// Scans `base[start..<end]` as one message of type `descriptor` at nesting `depth`.
  @usableFromInline func scanMessage(
    _ descriptor: UnsafePointer<ProtobufCMessageDescriptor>, start: Int, end: Int, depth: Int
  ) throws {
    let typeName = TypeName(descriptor)
    if depth > limits.maxDepth {
      throw WireError(
        .tooDeep, messageType: typeName.string, offset: start,
        detail: "messages nested deeper than the limit of \(limits.maxDepth)")
    }
    var position = start
    while position < end {
      let tagOffset = position
      let tag = try readVarint(&position, end: end, typeName: typeName)
      let fieldNumber = tag >> 3
      let wireType = Int(tag & 7)
      guard fieldNumber >= 1, fieldNumber <= 0x1FFF_FFFF else {
        throw WireError(
          .invalidTag, messageType: typeName.string, offset: tagOffset,
          detail: "field number \(fieldNumber) is outside 1...536870911")
      }
      let field = protobuf_c_message_descriptor_get_field(descriptor, UInt32(fieldNumber))
      do {
        try scanField(
          field, wireType: wireType, position: &position, end: end, depth: depth, typeName: typeName,
          tagOffset: tagOffset)
      } catch var error as WireError where error.fieldPath.isEmpty {
        error.fieldPath = [Self.fieldName(field, number: fieldNumber)]
        throw error
      }
    }
  }

  private func scanField(
    _ field: UnsafePointer<ProtobufCFieldDescriptor>?, wireType: Int, position: inout Int,
    end: Int, depth: Int, typeName: TypeName, tagOffset: Int
  ) throws {
    switch wireType {
    case 0, 1, 2, 5:
      break
    case 3, 4:
      throw WireError(
        .wrongWireType, messageType: typeName.string, offset: tagOffset,
        detail: "groups (wire types 3 and 4) are not supported")
    default:
      throw WireError(
        .invalidTag, messageType: typeName.string, offset: tagOffset,
        detail: "wire type \(wireType) does not exist")
    }
    guard let field else {
      try skip(wireType: wireType, position: &position, end: end, typeName: typeName)
      return
    }
    let type = field.pointee.type
    let expected = Self.wireType(of: type)
    let repeated = field.pointee.label == PROTOBUF_C_LABEL_REPEATED
    if wireType != expected {
      // Repeated scalars may come packed (one length-delimited run) whatever the declaration says.
      guard repeated, wireType == 2, expected != 2 else {
        throw WireError(
          .wrongWireType, messageType: typeName.string, offset: tagOffset,
          detail:
            "wire type \(wireType) does not match the declared \(Self.typeName(type)) (wire type \(expected))"
        )
      }
      let length = try readLength(&position, end: end, typeName: typeName)
      let runEnd = position + length
      switch expected {
      case 0:
        while position < runEnd { _ = try readVarint(&position, end: runEnd, typeName: typeName) }
      case 1, 5:
        let width = expected == 1 ? 8 : 4
        guard length % width == 0 else {
          throw WireError(
            .truncated, messageType: typeName.string, offset: position,
            detail: "packed \(Self.typeName(type)) run of \(length) bytes is not a multiple of \(width)")
        }
      default:
        break
      }
      position = runEnd
      return
    }
    switch wireType {
    case 0:
      _ = try readVarint(&position, end: end, typeName: typeName)
    case 1:
      try advance(&position, by: 8, end: end, typeName: typeName)
    case 5:
      try advance(&position, by: 4, end: end, typeName: typeName)
    default:
      let length = try readLength(&position, end: end, typeName: typeName)
      let contentStart = position
      position += length
      if type == PROTOBUF_C_TYPE_STRING, length > 0,
        memchr(base + contentStart, 0, length) != nil
      {
        throw WireError(
          .containsNUL, messageType: typeName.string, offset: contentStart,
          detail: "string contains a NUL byte, which protobuf-c cannot represent")
      }
      if type == PROTOBUF_C_TYPE_MESSAGE {
        let sub = field.pointee.descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        do {
          try scanMessage(sub, start: contentStart, end: position, depth: depth + 1)
        } catch let error as WireError {
          throw error.nested(in: Self.fieldName(field, number: 0), of: typeName.string)
        }
      }
    }
  }

  private func skip(wireType: Int, position: inout Int, end: Int, typeName: TypeName) throws {
    switch wireType {
    case 0: _ = try readVarint(&position, end: end, typeName: typeName)
    case 1: try advance(&position, by: 8, end: end, typeName: typeName)
    case 5: try advance(&position, by: 4, end: end, typeName: typeName)
    default:
      let length = try readLength(&position, end: end, typeName: typeName)
      position += length
    }
  }

  private func advance(_ position: inout Int, by count: Int, end: Int, typeName: TypeName) throws {
    guard end - position >= count else {
      throw WireError(
        .truncated, messageType: typeName.string, offset: position,
        detail: "input ends inside a \(count)-byte fixed-width field (\(end - position) bytes left)")
    }
    position += count
  }

  private func readLength(_ position: inout Int, end: Int, typeName: TypeName) throws -> Int {
    let lengthOffset = position
    let length = try readVarint(&position, end: end, typeName: typeName)
    guard length <= UInt64(end - position) else {
      throw WireError(
        .truncated, messageType: typeName.string, offset: lengthOffset,
        detail: "length-delimited field of \(length) bytes, but only \(end - position) bytes are left")
    }
    return Int(length)
  }

  private func readVarint(_ position: inout Int, end: Int, typeName: TypeName) throws -> UInt64 {
    let start = position
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < end else {
        throw WireError(
          .truncated, messageType: typeName.string, offset: start, detail: "input ends inside a varint")
      }
      let byte = base[position]
      position += 1
      if shift == 63 && byte > 1 {
        throw WireError(
          .invalidVarint, messageType: typeName.string, offset: start,
          detail: "varint does not fit in 64 bits")
      }
      result |= UInt64(byte & 0x7F) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 {
        throw WireError(
          .invalidVarint, messageType: typeName.string, offset: start, detail: "varint longer than 10 bytes")
      }
    }
  }

  private static func fieldName(_ field: UnsafePointer<ProtobufCFieldDescriptor>?, number: UInt64) -> String {
    field.map { String(cString: $0.pointee.name) } ?? "#\(number)"
  }

  /// A message type's name, made into a String only when an error needs it.
  @usableFromInline struct TypeName {
    let descriptor: UnsafePointer<ProtobufCMessageDescriptor>
    init(_ descriptor: UnsafePointer<ProtobufCMessageDescriptor>) { self.descriptor = descriptor }
    var string: String { String(cString: descriptor.pointee.name) }
  }

  private static func wireType(of type: ProtobufCType) -> Int {
    switch type {
    case PROTOBUF_C_TYPE_FIXED64, PROTOBUF_C_TYPE_SFIXED64, PROTOBUF_C_TYPE_DOUBLE: return 1
    case PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_BYTES, PROTOBUF_C_TYPE_MESSAGE: return 2
    case PROTOBUF_C_TYPE_FIXED32, PROTOBUF_C_TYPE_SFIXED32, PROTOBUF_C_TYPE_FLOAT: return 5
    default: return 0
    }
  }

  private static func typeName(_ type: ProtobufCType) -> String {
    switch type {
    case PROTOBUF_C_TYPE_INT32: return "int32"
    case PROTOBUF_C_TYPE_SINT32: return "sint32"
    case PROTOBUF_C_TYPE_SFIXED32: return "sfixed32"
    case PROTOBUF_C_TYPE_INT64: return "int64"
    case PROTOBUF_C_TYPE_SINT64: return "sint64"
    case PROTOBUF_C_TYPE_SFIXED64: return "sfixed64"
    case PROTOBUF_C_TYPE_UINT32: return "uint32"
    case PROTOBUF_C_TYPE_FIXED32: return "fixed32"
    case PROTOBUF_C_TYPE_UINT64: return "uint64"
    case PROTOBUF_C_TYPE_FIXED64: return "fixed64"
    case PROTOBUF_C_TYPE_FLOAT: return "float"
    case PROTOBUF_C_TYPE_DOUBLE: return "double"
    case PROTOBUF_C_TYPE_BOOL: return "bool"
    case PROTOBUF_C_TYPE_ENUM: return "enum"
    case PROTOBUF_C_TYPE_STRING: return "string"
    case PROTOBUF_C_TYPE_BYTES: return "bytes"
    default: return "message"
    }
  }
}
