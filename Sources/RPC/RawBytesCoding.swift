public import GRPCCore

/// A serializer for messages that are already bytes (`[UInt8]`): used for generic handlers,
/// tests and benchmarks until generated protobuf-c types plug in with their own serializers.
public struct RawBytesSerializer: MessageSerializer {
  public init() {}

  public func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
    Bytes(message)
  }
}

/// The deserializer matching ``RawBytesSerializer``: the message bytes as they came.
public struct RawBytesDeserializer: MessageDeserializer {
  public init() {}

  public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
    serializedMessageBytes.withUnsafeBytes { Array($0) }
  }
}
