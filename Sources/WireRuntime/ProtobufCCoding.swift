public import GRPCCore

/// Serializes gRPC messages with protobuf-c for grpc-swift's `GRPCCore`.
public struct ProtobufCSerializer<Message: WireMessage>: MessageSerializer {
  public init() {}

  public func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
    do {
      return try message.withPackedEncoding { size, pack in
        var bytes = Bytes(repeating: 0, count: size)
        if size > 0 {
          bytes.withUnsafeMutableBytes { pack($0.baseAddress!.assumingMemoryBound(to: UInt8.self)) }
        }
        return bytes
      }
    } catch let error as WireError {
      throw RPCError(code: .internalError, message: "cannot serialize \(Message.protoMessageName): \(error)")
    }
  }
}

/// Deserializes gRPC messages with protobuf-c for grpc-swift's `GRPCCore`. Malformed input becomes
/// `INVALID_ARGUMENT` with the precise ``WireError`` as message.
public struct ProtobufCDeserializer<Message: WireMessage>: MessageDeserializer {
  /// The limits applied to every message.
  public var limits: DecodingLimits

  public init(limits: DecodingLimits = .default) {
    self.limits = limits
  }

  public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
    do {
      return try serializedMessageBytes.withUnsafeBytes { try Message._decode($0, limits: limits) }
    } catch let error as WireError {
      throw RPCError(code: .invalidArgument, message: "malformed \(Message.protoMessageName): \(error)")
    }
  }
}
