public import CProtobufC
public import Foundation

/// A large byte value a deferring ``EncodeArena`` did not copy: the protobuf-c structure points at a
/// placeholder (one byte of the arena, never read or written), and ``EncodeArena/pack(_:into:)`` copies
/// `value` into the output when protobuf-c appends that pointer.
@usableFromInline struct DeferredBytes {
  /// The placeholder's address.
  @usableFromInline let placeholder: Int
  @usableFromInline let value: Data

  @inlinable init(placeholder: UnsafeMutableRawPointer, value: Data) {
    self.placeholder = Int(bitPattern: placeholder)
    self.value = value
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

  /// Appends `count` bytes from `source` (a placeholder or real bytes).
  ///
  /// protobuf-c calls this for every tag and length as well as for every value, so the common cases
  /// stay cheap: short real bytes are stored one by one, and a deferred value is copied from its `Data`
  /// borrowed in place, without copying the `Data` (a retain and a release per value).
  @usableFromInline mutating func append(_ source: UnsafePointer<UInt8>, count: Int) {
    precondition(end - cursor >= count, "protobuf-c packed more bytes than it sized")
    let address = Int(bitPattern: source)
    for index in 0..<deferred.count where deferred[index].placeholder == address {
      let destination = UnsafeMutableRawPointer(cursor)
      deferred[index].value.withUnsafeBytes { value in
        precondition(value.count == count, "a deferred byte field changed length while packing")
        destination.copyMemory(from: value.baseAddress!, byteCount: count)
      }
      cursor += count
      return
    }
    if count <= 16 {
      for index in 0..<count { cursor[index] = source[index] }
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
  /// Remembers `value` for ``pack(_:into:)`` and returns its placeholder.
  @inlinable mutating func deferBytes(_ value: Data) -> UnsafeMutableRawPointer {
    let placeholder = allocate(byteCount: 1, alignment: 1)
    deferred.append(DeferredBytes(placeholder: placeholder, value: value))
    return placeholder
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
