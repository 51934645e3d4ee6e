public import CProtobufC
public import Foundation

extension WireMessage {
  /// Decodes a message from its protobuf binary encoding.
  ///
  /// The input is checked against `limits` and scanned before protobuf-c unpacks it; every problem
  /// is a ``WireError`` naming the field and byte offset.
  @inlinable
  public init(serializedBytes bytes: some ContiguousBytes, limits: DecodingLimits = .default) throws {
    self = try bytes.withUnsafeBytes { try Self._decode($0, limits: limits) }
  }

  /// Encodes the message with protobuf-c. Fails with ``WireError/Code/containsNUL`` if a string
  /// contains NUL (protobuf-c would silently truncate it).
  @inlinable
  public func serializedData() throws -> Data {
    try withPackedEncoding { size, pack in
      guard size > 0, let buffer = malloc(size) else { return Data() }
      pack(buffer.assumingMemoryBound(to: UInt8.self))
      // The packed bytes become the Data's storage: no zero-filling, no copy.
      return Data(bytesNoCopy: buffer, count: size, deallocator: .free)
    }
  }

  /// Encodes the message with protobuf-c into a byte array.
  @inlinable
  public func serializedBytes() throws -> [UInt8] {
    try withPackedEncoding { size, pack in
      [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        if size > 0 { pack(buffer.baseAddress!) }
        initialized = size
      }
    }
  }

  /// Runs `body` with the packed size of this message and a function that packs it, with protobuf-c,
  /// into a buffer of exactly that size. Large byte data is copied once, from the message into the
  /// buffer (see ``EncodeArena``).
  @inlinable
  public func withPackedEncoding<R>(
    _ body: (_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Void) throws -> R
  ) throws -> R {
    try withUnsafeTemporaryAllocation(byteCount: 2048, alignment: 16) { stack in
      var arena = EncodeArena(initialBlock: stack, defersBytes: true)
      let raw: UnsafeMutableRawPointer
      do {
        raw = try _protobufC(arena: &arena)
      } catch let error as WireError {
        throw error.inMessage(Self.protoMessageName)
      }
      let message = UnsafePointer(raw.assumingMemoryBound(to: ProtobufCMessage.self))
      let size = protobuf_c_message_get_packed_size(message)
      return try body(size) { buffer in arena.pack(message, into: buffer, size: size) }
    }
  }

  /// Runs `body` with this message built as a protobuf-c structure, and its packed size. Every pointer
  /// in the structure is real while `body` runs, so any protobuf-c function may read it.
  @inlinable
  public func withProtobufC<R>(
    _ body: (UnsafePointer<ProtobufCMessage>, Int) throws -> R
  ) throws -> R {
    try withUnsafeTemporaryAllocation(byteCount: 2048, alignment: 16) { stack in
      var arena = EncodeArena(initialBlock: stack)
      let raw: UnsafeMutableRawPointer
      do {
        raw = try _protobufC(arena: &arena)
      } catch let error as WireError {
        throw error.inMessage(Self.protoMessageName)
      }
      let message = UnsafePointer(raw.assumingMemoryBound(to: ProtobufCMessage.self))
      return try arena.withLargeBytesBound {
        try body(message, protobuf_c_message_get_packed_size(message))
      }
    }
  }

  @inlinable
  public static func _decode(_ buffer: UnsafeRawBufferPointer, limits: DecodingLimits) throws -> Self {
    guard buffer.count <= limits.maxBytes else {
      throw WireError(
        .tooLarge, messageType: protoMessageName,
        detail: "\(buffer.count) bytes exceed the limit of \(limits.maxBytes)")
    }
    let descriptor = _protobufCDescriptor
    return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { empty in
      let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(empty.baseAddress!)
      try WireScanner(base: base, limits: limits).scanMessage(
        descriptor, start: 0, end: buffer.count, depth: 1)
      // Everything protobuf-c allocates comes from the unpack arena and is released with it, so
      // protobuf_c_message_free_unpacked is not called.
      return try withUnpackAllocator { allocator, arena in
        guard let unpacked = protobuf_c_message_unpack(descriptor, allocator, buffer.count, base) else {
          throw WireError(
            .malformed, messageType: protoMessageName, detail: "protobuf-c could not unpack the input")
        }
        var decoder = CMessageDecoder(arena: arena)
        do {
          return try Self(_protobufC: UnsafeMutableRawPointer(unpacked), decoder: &decoder)
        } catch let error as WireError {
          throw error.inMessage(protoMessageName)
        }
      }
    }
  }
}
