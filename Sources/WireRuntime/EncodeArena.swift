public import CProtobufC
public import Foundation

/// Memory for the protobuf-c structures of one encode: a bump allocator freed all at once.
///
/// Strings and small byte fields are copied into the arena. Byte fields of at least
/// ``largeBytesThreshold`` are not copied: the arena remembers them and binds their storage only for
/// the duration of ``withLargeBytesBound(_:)``, inside `Data.withUnsafeBytes`, so that packing an image
/// chunk copies its bytes exactly once, into the output.
@_spi(WireBridge) public final class EncodeArena {
  /// Byte fields at least this long are bound in place instead of copied.
  public static let largeBytesThreshold = 16 * 1024
  /// Most byte fields bound in place per encode (each adds a stack frame); later ones are copied.
  static let maxBoundFields = 64

  private var blocks: [UnsafeMutableRawPointer] = []
  private var cursor: UnsafeMutableRawPointer?
  private var remaining = 0
  private var nextBlockSize = 4096
  private var largeFields: [(slot: UnsafeMutablePointer<ProtobufCBinaryData>, data: Data)] = []

  public init() {}

  deinit {
    for block in blocks { block.deallocate() }
  }

  /// Uninitialized, `alignment`-aligned memory that lives as long as the arena.
  public func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
    if let cursor {
      let padding = (alignment - Int(bitPattern: cursor) % alignment) % alignment
      if padding + byteCount <= remaining {
        let result = cursor + padding
        self.cursor = result + byteCount
        remaining -= padding + byteCount
        return result
      }
    }
    if byteCount > nextBlockSize / 2 {
      let block = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: max(alignment, 16))
      blocks.append(block)
      return block
    }
    let block = UnsafeMutableRawPointer.allocate(byteCount: nextBlockSize, alignment: 16)
    blocks.append(block)
    cursor = block
    remaining = nextBlockSize
    nextBlockSize = min(nextBlockSize * 2, 1 << 20)
    return allocate(byteCount: byteCount, alignment: alignment)
  }

  /// A protobuf-c message structure, initialized by its generated `__init` function.
  public func message<T>(_ type: T.Type, _ initialize: (UnsafeMutablePointer<T>?) -> Void) -> UnsafeMutablePointer<T> {
    let raw = allocate(byteCount: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment)
    let pointer = raw.bindMemory(to: T.self, capacity: 1)
    initialize(pointer)
    return pointer
  }

  /// An uninitialized array of `count` elements.
  public func array<T>(of type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
    let raw = allocate(byteCount: MemoryLayout<T>.stride * max(count, 1), alignment: MemoryLayout<T>.alignment)
    return raw.bindMemory(to: T.self, capacity: max(count, 1))
  }

  /// A NUL-terminated copy of `string`. Fails if the string contains NUL: protobuf-c would silently cut
  /// it there.
  public func cString(_ string: String, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
    var string = string
    return try string.withUTF8 { utf8 in
      if let base = utf8.baseAddress, memchr(base, 0, utf8.count) != nil {
        throw WireError(
          .containsNUL, messageType: "", fieldPath: ["\(field)"],
          detail: "string contains NUL, which protobuf-c would silently truncate; remove it")
      }
      let target = allocate(byteCount: utf8.count + 1, alignment: 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
      if let base = utf8.baseAddress {
        UnsafeMutableRawPointer(target).copyMemory(from: base, byteCount: utf8.count)
      }
      target[utf8.count] = 0
      return target
    }
  }

  /// Points `slot` at `data`: a copy in the arena for small data, the data's own storage (bound in
  /// ``withLargeBytesBound(_:)``) for large data.
  public func setBytes(_ data: Data, into slot: UnsafeMutablePointer<ProtobufCBinaryData>) {
    let count = data.count
    slot.pointee.len = count
    if count == 0 {
      slot.pointee.data = nil
      return
    }
    if count >= Self.largeBytesThreshold && largeFields.count < Self.maxBoundFields {
      slot.pointee.data = nil
      largeFields.append((slot, data))
      return
    }
    let target = allocate(byteCount: count, alignment: 1)
    data.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: count) }
    slot.pointee.data = target.assumingMemoryBound(to: UInt8.self)
  }

  /// Runs `body` with every large byte field pointing at its data's storage.
  public func withLargeBytesBound<R>(_ body: () throws -> R) rethrows -> R {
    try bind(from: 0, body)
  }

  private func bind<R>(from index: Int, _ body: () throws -> R) rethrows -> R {
    guard index < largeFields.count else { return try body() }
    let (slot, data) = largeFields[index]
    return try data.withUnsafeBytes { raw in
      slot.pointee.data = UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
      defer { slot.pointee.data = nil }
      return try bind(from: index + 1, body)
    }
  }
}
