public import CProtobufC
public import Foundation

/// Memory for the protobuf-c structures of one encode: a bump allocator freed all at once.
///
/// The first block is the caller's (on the stack, see ``WireMessage/withProtobufC(_:)``); later blocks
/// come from the heap and are freed when the arena goes away. Strings and small byte fields are copied
/// into the arena. Large byte data is not copied, in one of two ways:
///
/// - A *deferring* arena (the one behind ``WireMessage/serializedData()``) points large byte fields
///   (single ones and large elements of repeated ones) at placeholder bytes of its own, and
///   ``pack(_:into:)`` copies each from its `Data` straight into the output when protobuf-c reaches it
///   (see `DeferredBytes.swift`). An image chunk is copied exactly once, like swift-protobuf copies it.
///   Small elements of repeated fields (a TBlock's entries) are copied into the arena: a deferred value
///   costs protobuf-c's callback packing, which for many small values is slower than a second `memcpy`.
/// - Otherwise the arena binds the storage of single byte fields of at least ``largeBytesThreshold`` for
///   the duration of ``withLargeBytesBound(_:)``, inside `Data.withUnsafeBytes`, so that the structure
///   handed to ``WireMessage/withProtobufC(_:)`` holds real pointers only.
///
/// The arena is noncopyable and passed `inout`, so its hot path is inlined into generated code with no
/// reference counting and no dynamic exclusivity checks.
public struct EncodeArena: ~Copyable {
  /// Byte fields at least this long are bound in place instead of copied.
  public static var largeBytesThreshold: Int { 16 * 1024 }
  /// Most byte fields bound in place per encode (each adds a stack frame); later ones are copied.
  @usableFromInline static var maxBoundFields: Int { 64 }

  @usableFromInline var cursor: UnsafeMutableRawPointer?
  @usableFromInline var remaining: Int
  @usableFromInline var heapBlocks: [UnsafeMutableRawPointer] = []
  @usableFromInline var nextBlockSize = 16 * 1024
  @usableFromInline var largeFields: [LargeField] = []
  /// Whether large byte data is deferred to ``pack(_:into:)`` instead of bound in place.
  @usableFromInline let defersBytes: Bool
  @usableFromInline var deferred: [DeferredBytes] = []

  /// A byte field bound in place while packing.
  @usableFromInline struct LargeField {
    @usableFromInline var slot: UnsafeMutablePointer<ProtobufCBinaryData>
    @usableFromInline var data: Data

    @inlinable init(slot: UnsafeMutablePointer<ProtobufCBinaryData>, data: Data) {
      self.slot = slot
      self.data = data
    }
  }

  /// An arena whose first block is `initialBlock` (not freed by the arena). A `defersBytes` arena's
  /// structures may only be packed with ``pack(_:into:)``: their large byte fields point at placeholders.
  @inlinable public init(initialBlock: UnsafeMutableRawBufferPointer, defersBytes: Bool = false) {
    cursor = initialBlock.baseAddress
    remaining = initialBlock.count
    self.defersBytes = defersBytes
  }

  deinit {
    for block in heapBlocks { block.deallocate() }
  }

  /// Uninitialized, `alignment`-aligned memory that lives as long as the arena.
  @inlinable public mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    if let cursor {
      let padding = (alignment &- Int(bitPattern: cursor) & (alignment &- 1)) & (alignment &- 1)
      if padding &+ byteCount <= remaining {
        let result = cursor + padding
        self.cursor = result + byteCount
        remaining &-= padding &+ byteCount
        return result
      }
    }
    return allocateSlow(byteCount: byteCount, alignment: alignment)
  }

  @usableFromInline mutating func allocateSlow(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    if byteCount > nextBlockSize / 2 {
      let block = UnsafeMutableRawPointer.allocate(
        byteCount: max(byteCount, 1), alignment: max(alignment, 16))
      heapBlocks.append(block)
      return block
    }
    let block = UnsafeMutableRawPointer.allocate(byteCount: nextBlockSize, alignment: 16)
    heapBlocks.append(block)
    cursor = block
    remaining = nextBlockSize
    nextBlockSize = min(nextBlockSize * 2, 1 << 20)
    return allocate(byteCount: byteCount, alignment: alignment)
  }

  /// A protobuf-c message structure, initialized by its generated `__init` function.
  @inlinable public mutating func message<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>?) -> Void)
    -> UnsafeMutablePointer<T>
  {
    let raw = allocate(byteCount: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
    let pointer = raw.bindMemory(to: T.self, capacity: 1)
    initialize(pointer)
    return pointer
  }

  /// An uninitialized array of `count` elements.
  @inlinable public mutating func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let raw = allocate(
      byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy of `string`. Fails if the string contains NUL: protobuf-c would silently cut
  /// it there.
  @inlinable public mutating func cString(_ string: String, field: StaticString) throws
    -> UnsafeMutablePointer<CChar>
  {
    var string = string
    return try string.withUTF8 { utf8 in
      let count = utf8.count
      if let base = utf8.baseAddress, memchr(base, 0, count) != nil {
        throw WireError(
          .containsNUL, messageType: "", fieldPath: ["\(field)"],
          detail: "string contains NUL, which protobuf-c would silently truncate; remove it")
      }
      let target = allocate(byteCount: count &+ 1, alignment: 1)
      if let base = utf8.baseAddress { target.copyMemory(from: base, byteCount: count) }
      target.storeBytes(of: 0, toByteOffset: count, as: UInt8.self)
      return target.assumingMemoryBound(to: CChar.self)
    }
  }

  /// Points `slot` at `data`: a copy in the arena for small data, the data's own storage (bound in
  /// ``withLargeBytesBound(_:)``) for large data.
  @inlinable public mutating func setBytes(
    _ data: borrowing Data, into slot: UnsafeMutablePointer<ProtobufCBinaryData>
  ) {
    let count = data.count
    slot.pointee.len = count
    slot.pointee.data = nil
    if count == 0 { return }
    if count >= Self.largeBytesThreshold && defersBytes {
      slot.pointee.data = deferBytes(copy data).assumingMemoryBound(to: UInt8.self)
      return
    }
    if count >= Self.largeBytesThreshold && largeFields.count < Self.maxBoundFields {
      largeFields.append(LargeField(slot: slot, data: copy data))
      return
    }
    let target = allocate(byteCount: count, alignment: 1)
    data.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count) }
    slot.pointee.data = target.assumingMemoryBound(to: UInt8.self)
  }

  /// Runs `body` with every large byte field pointing at its data's storage.
  @inlinable public mutating func withLargeBytesBound<R>(_ body: () throws -> R) rethrows -> R {
    if largeFields.isEmpty { return try body() }
    return try bind(from: 0, body)
  }

  @usableFromInline func bind<R>(from index: Int, _ body: () throws -> R) rethrows -> R {
    guard index < largeFields.count else { return try body() }
    let field = largeFields[index]
    return try field.data.withUnsafeBytes { raw in
      field.slot.pointee.data = UnsafeMutablePointer(
        mutating: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
      defer { field.slot.pointee.data = nil }
      return try bind(from: index + 1, body)
    }
  }
}
