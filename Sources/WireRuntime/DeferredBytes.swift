public import CProtobufC
public import Foundation

/// Byte values a deferring ``EncodeArena`` did not copy: the protobuf-c structures point at
/// `placeholders + i` (one byte of the arena per value, never read or written), and ``EncodeArena/pack(_:into:)``
/// copies `values[i]` into the output when protobuf-c appends that pointer.
@usableFromInline struct DeferredBytes {
  @usableFromInline let placeholders: UnsafeMutableRawPointer
  @usableFromInline let values: [Data]

  @inlinable init(placeholders: UnsafeMutableRawPointer, values: [Data]) {
    self.placeholders = placeholders
    self.values = values
  }
}

/// Where ``EncodeArena/pack(_:into:)`` writes, reached from protobuf-c's append callback.
@usableFromInline struct PackState {
  @usableFromInline var cursor: UnsafeMutablePointer<UInt8>
  @usableFromInline let end: UnsafeMutablePointer<UInt8>
  @usableFromInline let deferred: UnsafeBufferPointer<DeferredBytes>

  @inlinable init(
    cursor: UnsafeMutablePointer<UInt8>, end: UnsafeMutablePointer<UInt8>,
    deferred: UnsafeBufferPointer<DeferredBytes>
  ) {
    self.cursor = cursor
    self.end = end
    self.deferred = deferred
  }

  /// The deferred value whose placeholder is `pointer`, if it is one.
  @usableFromInline func deferredValue(at pointer: UnsafePointer<UInt8>) -> Data? {
    let address = Int(bitPattern: pointer)
    for entry in deferred {
      let offset = address &- Int(bitPattern: entry.placeholders)
      if offset >= 0 && offset < entry.values.count { return entry.values[offset] }
    }
    return nil
  }

  /// Appends `count` bytes from `source` (a placeholder or real bytes).
  @usableFromInline mutating func append(_ source: UnsafePointer<UInt8>, count: Int) {
    precondition(end - cursor >= count, "protobuf-c packed more bytes than it sized")
    if let value = deferredValue(at: source) {
      precondition(value.count == count, "a deferred byte field changed length while packing")
      value.withUnsafeBytes {
        cursor.update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
      }
    } else {
      cursor.update(from: source, count: count)
    }
    cursor += count
  }
}

/// protobuf-c's append callback: the `ProtobufCBuffer` is followed in memory by a pointer to the
/// ``PackState``.
@usableFromInline let appendToPackState:
  @convention(c) (UnsafeMutablePointer<ProtobufCBuffer>?, Int, UnsafePointer<UInt8>?) -> Void = {
    buffer, count, source in
    guard count > 0, let buffer, let source else { return }
    let state = UnsafeRawPointer(buffer).load(
      fromByteOffset: MemoryLayout<ProtobufCBuffer>.stride, as: UnsafeMutablePointer<PackState>.self)
    state.pointee.append(source, count: count)
  }

extension EncodeArena {
  /// Remembers `values` for ``pack(_:into:)`` and returns their placeholders.
  @inlinable mutating func deferBytes(_ values: [Data]) -> UnsafeMutableRawPointer {
    let placeholders = allocate(byteCount: values.count, alignment: 1)
    deferred.append(DeferredBytes(placeholders: placeholders, values: values))
    return placeholders
  }

  /// Packs `message` (built in this arena) into `buffer`, which holds exactly its packed size.
  @inlinable public func pack(
    _ message: UnsafePointer<ProtobufCMessage>, into buffer: UnsafeMutablePointer<UInt8>, size: Int
  ) {
    if deferred.isEmpty {
      _ = protobuf_c_message_pack(message, buffer)
      return
    }
    deferred.withUnsafeBufferPointer { deferred in
      var state = PackState(cursor: buffer, end: buffer + size, deferred: deferred)
      withUnsafeMutablePointer(to: &state) { state in
        let sinkSize =
          MemoryLayout<ProtobufCBuffer>.stride + MemoryLayout<UnsafeMutablePointer<PackState>>.stride
        withUnsafeTemporaryAllocation(byteCount: sinkSize, alignment: 16) { sink in
          let base = sink.baseAddress!
          base.initializeMemory(as: ProtobufCBuffer.self, to: ProtobufCBuffer(append: appendToPackState))
          base.storeBytes(
            of: state, toByteOffset: MemoryLayout<ProtobufCBuffer>.stride,
            as: UnsafeMutablePointer<PackState>.self)
          _ = protobuf_c_message_pack_to_buffer(message, base.assumingMemoryBound(to: ProtobufCBuffer.self))
        }
        precondition(state.pointee.cursor == buffer + size, "protobuf-c packed fewer bytes than it sized")
      }
    }
  }
}
