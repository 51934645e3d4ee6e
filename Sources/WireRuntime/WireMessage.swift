public import CProtobufC

/// A protobuf message of the SeHealthChain wire, serialized by protobuf-c.
///
/// Generated types conform to this protocol: Swift value types with Swift-native fields (`String`,
/// `Data`, fixed-width integers, arrays, optionals for message fields, enums for oneofs). The
/// requirements under the `WireBridge` SPI connect them to the protobuf-c structures and are
/// implemented by the generator only; everything a caller needs is in the extensions:
/// ``init(serializedBytes:limits:)``, ``serializedData()``, ``jsonString(pretty:)`` and
/// ``init(jsonString:limits:)``.
public protocol WireMessage: Sendable, Hashable, CustomDebugStringConvertible {
  /// The fully qualified protobuf name, for example `sehc.v1.TransactionBody`.
  static var protoMessageName: String { get }

  /// A message with every field at its default value.
  init()

  /// The protobuf-c descriptor of the message.
  static var _protobufCDescriptor: UnsafePointer<ProtobufCMessageDescriptor> { get }

  /// Reads an unpacked protobuf-c message. May take ownership of large byte buffers (it sets their
  /// pointers to nil so that `protobuf_c_message_free_unpacked` leaves them alone).
  init(_protobufC message: UnsafeMutableRawPointer, decoder: inout CMessageDecoder) throws

  /// Builds the protobuf-c structure of this message in `arena` and returns a pointer to it.
  func _protobufC(arena: inout EncodeArena) throws -> UnsafeMutableRawPointer

  /// Writes the proto3 canonical JSON object of this message.
  func _writeJSON(to writer: inout JSONWriter)

  /// Reads a message from a parsed JSON object.
  init(_json object: JSONObject, decoder: inout JSONMessageDecoder) throws
}

extension WireMessage {
  public var debugDescription: String { "\(Self.protoMessageName) \(jsonString())" }
}
