public import CProtobufC
public import Foundation

/// Turns the fields of an unpacked protobuf-c message into Swift values; used by generated code.
///
/// Large byte fields (allocated by the ``UnpackArena`` with `malloc`) are not copied: the decoder
/// adopts the buffer as the storage of a `Data` (freed with `free`) and clears the C pointer. Strings
/// are validated as UTF-8.
public struct CMessageDecoder {
  @usableFromInline let arena: UnsafeMutablePointer<UnpackArena>?

  @inlinable init(arena: UnsafeMutablePointer<UnpackArena>?) {
    self.arena = arena
  }

  @inlinable public func string(_ pointer: UnsafeMutablePointer<CChar>?, field: StaticString) throws -> String
  {
    guard let pointer, pointer.pointee != 0 else { return "" }
    guard let string = String(validatingCString: pointer) else {
      throw WireError(
        .invalidUTF8, messageType: "", fieldPath: ["\(field)"], detail: "string is not valid UTF-8")
    }
    return string
  }

  @inlinable public func bytes(_ binary: inout ProtobufCBinaryData) -> Data {
    let count = binary.len
    guard count > 0, let data = binary.data else { return Data() }
    if count >= UnpackArena.largeThreshold, let arena, arena.pointee.adopt(UnsafeMutableRawPointer(data)) {
      binary.data = nil
      binary.len = 0
      return Data(bytesNoCopy: data, count: count, deallocator: .free)
    }
    return Data(bytes: data, count: count)
  }

  @inlinable public func message<M: WireMessage, C>(
    _ type: M.Type, _ pointer: UnsafeMutablePointer<C>?, field: StaticString
  ) throws -> M? {
    guard let pointer else { return nil }
    var decoder = self
    do {
      return try M(_protobufC: UnsafeMutableRawPointer(pointer), decoder: &decoder)
    } catch let error as WireError {
      throw error.nested(in: "\(field)", of: "")
    }
  }

  @inlinable public func messages<M: WireMessage, C>(
    _ type: M.Type, _ array: UnsafeMutablePointer<UnsafeMutablePointer<C>?>?, count: Int, field: StaticString
  ) throws -> [M] {
    guard let array, count > 0 else { return [] }
    var result: [M] = []
    result.reserveCapacity(count)
    var decoder = self
    for index in 0..<count {
      guard let element = array[index] else { continue }
      do {
        result.append(try M(_protobufC: UnsafeMutableRawPointer(element), decoder: &decoder))
      } catch let error as WireError {
        throw error.nested(in: "\(field)[\(index)]", of: "")
      }
    }
    return result
  }

  @inlinable public func strings(
    _ array: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, count: Int, field: StaticString
  ) throws -> [String] {
    guard let array, count > 0 else { return [] }
    var result: [String] = []
    result.reserveCapacity(count)
    for index in 0..<count {
      guard let pointer = array[index], pointer.pointee != 0 else {
        result.append("")
        continue
      }
      guard let string = String(validatingCString: pointer) else {
        throw WireError(
          .invalidUTF8, messageType: "", fieldPath: ["\(field)[\(index)]"],
          detail: "string is not valid UTF-8")
      }
      result.append(string)
    }
    return result
  }

  /// The elements of a repeated bytes field. Elements shorter than ``UnpackArena/largeThreshold`` are
  /// copied into one buffer and returned as slices of it (their `startIndex` is not 0), so a field of
  /// 2,000 entries costs one allocation instead of 4,000; an element keeps its siblings' bytes alive
  /// as long as it lives. Large elements are adopted one by one, as ``bytes(_:)`` adopts them.
  @inlinable public func bytesArray(_ array: UnsafeMutablePointer<ProtobufCBinaryData>?, count: Int) -> [Data]
  {
    guard let array, count > 0 else { return [] }
    if count == 1 { return [bytes(&array[0])] }
    var smallTotal = 0
    for index in 0..<count where array[index].len < UnpackArena.largeThreshold {
      smallTotal &+= array[index].len
    }
    let shared = Self.concatenatingSmall(array, count: count, total: smallTotal)
    var result: [Data] = []
    result.reserveCapacity(count)
    var offset = shared.startIndex
    for index in 0..<count {
      let length = array[index].len
      if length < UnpackArena.largeThreshold {
        result.append(shared[offset..<offset &+ length])
        offset &+= length
      } else {
        result.append(bytes(&array[index]))
      }
    }
    return result
  }

  /// One buffer holding the elements shorter than ``UnpackArena/largeThreshold``, in order.
  @inlinable static func concatenatingSmall(
    _ array: UnsafeMutablePointer<ProtobufCBinaryData>, count: Int, total: Int
  ) -> Data {
    guard total > 0 else { return Data() }
    guard let buffer = malloc(total) else {
      fatalError("out of memory: \(total) bytes for a repeated bytes field")
    }
    var cursor = buffer
    for index in 0..<count {
      let length = array[index].len
      guard length > 0, length < UnpackArena.largeThreshold, let data = array[index].data else { continue }
      cursor.copyMemory(from: data, byteCount: length)
      cursor += length
    }
    return Data(bytesNoCopy: buffer, count: total, deallocator: .free)
  }

  @inlinable public func scalars<T>(_ array: UnsafeMutablePointer<T>?, count: Int) -> [T] {
    guard let array, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: array, count: count))
  }

  @inlinable public func bools(_ array: UnsafeMutablePointer<protobuf_c_boolean>?, count: Int) -> [Bool] {
    guard let array, count > 0 else { return [] }
    return (0..<count).map { array[$0] != 0 }
  }

  @inlinable public func enums<E: WireEnum, C: RawRepresentable>(
    _ type: E.Type, _ array: UnsafeMutablePointer<C>?, count: Int
  ) -> [E] where C.RawValue: BinaryInteger {
    guard let array, count > 0 else { return [] }
    return (0..<count).map { E(rawValue: Int32(truncatingIfNeeded: array[$0].rawValue)) }
  }
}

extension WireError {
  /// Fills in the message type of an error raised by a field helper, which does not know it.
  public func inMessage(_ type: String) -> WireError {
    guard messageType.isEmpty else { return self }
    var copy = self
    copy.messageType = type
    return copy
  }
}
