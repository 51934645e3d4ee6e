/// Why bytes or JSON could not be turned into a message, or a message into bytes.
///
/// Every decoding failure of the wire layer is a `WireError`: truncated, garbage, oversized or too
/// deeply nested input never crashes and never leaks. The description names the message type, the
/// field path and, for binary input, the byte offset.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The kind of failure.
  public enum Code: String, Sendable, Hashable {
    /// The input ended inside a field.
    case truncated
    /// A tag with field number 0, above 2^29 - 1, or a wire type protobuf does not define.
    case invalidTag
    /// A field's wire type does not match its declared type, or a group (wire types 3 and 4).
    case wrongWireType
    /// A varint longer than 10 bytes.
    case invalidVarint
    /// The input is larger than the limit.
    case tooLarge
    /// Messages nested deeper than the limit.
    case tooDeep
    /// A string that is not valid UTF-8.
    case invalidUTF8
    /// A string containing NUL, which protobuf-c cannot carry.
    case containsNUL
    /// protobuf-c rejected the input for a reason the scanner did not detect.
    case malformed
    /// Text that is not valid JSON.
    case invalidJSON
    /// A JSON member naming no field of the message.
    case unknownField
    /// A field given twice, or two members of one oneof.
    case duplicateField
    /// A JSON value of the wrong type or out of range for its field.
    case invalidValue
    /// A message type name the registry does not know.
    case unknownType
  }

  /// The kind of failure.
  public var code: Code
  /// The fully qualified name of the outermost message being decoded or encoded.
  public var messageType: String
  /// Field names from the outermost message down to the failing field, e.g. `["certificate", "votes[2]"]`.
  public var fieldPath: [String]
  /// The byte offset in binary input, when known.
  public var offset: Int?
  /// What exactly is wrong.
  public var detail: String

  public init(_ code: Code, messageType: String, fieldPath: [String] = [], offset: Int? = nil, detail: String)
  {
    self.code = code
    self.messageType = messageType
    self.fieldPath = fieldPath
    self.offset = offset
    self.detail = detail
  }

  public var description: String {
    var where_ = messageType
    if !fieldPath.isEmpty { where_ += "." + fieldPath.joined(separator: ".") }
    if let offset { where_ += " at byte \(offset)" }
    return "\(where_): \(detail)"
  }

  /// The same error seen from an enclosing message: `field` is prepended to the path and the message
  /// type becomes `outerType`.
  public func nested(in field: String, of outerType: String) -> WireError {
    var copy = self
    copy.fieldPath.insert(field, at: 0)
    copy.messageType = outerType
    return copy
  }
}
