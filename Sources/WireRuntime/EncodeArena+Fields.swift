public import CProtobufC
public import Foundation

extension EncodeArena {
  /// A copy of a repeated scalar field.
  @inlinable public mutating func copy<T>(_ values: [T]) -> UnsafeMutablePointer<T> {
    let target = array(of: T.self, count: values.count)
    _ = UnsafeMutableBufferPointer(start: target, count: values.count).initialize(from: values)
    return target
  }

  /// A repeated enum field as protobuf-c's C enum array.
  @inlinable public mutating func copyEnums<E: WireEnum, C: RawRepresentable>(_ values: [E])
    -> UnsafeMutablePointer<C>
  where C.RawValue: FixedWidthInteger {
    let target = array(of: C.self, count: values.count)
    for (index, value) in values.enumerated() {
      (target + index).initialize(to: C(rawValue: C.RawValue(truncatingIfNeeded: value.rawValue))!)
    }
    return target
  }

  /// A repeated string field as an array of NUL-terminated copies.
  @inlinable public mutating func cStrings(_ values: [String], field: StaticString) throws
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
  {
    let target = array(of: UnsafeMutablePointer<CChar>?.self, count: values.count)
    for (index, value) in values.enumerated() {
      do {
        (target + index).initialize(to: try cString(value, field: field))
      } catch var error as WireError {
        error.fieldPath = ["\(field)[\(index)]"]
        throw error
      }
    }
    return target
  }

  /// A repeated bytes field: the small elements copied into one region sized in a first pass, large
  /// elements bound in place or deferred one by one (see ``setBytes(_:into:)``).
  ///
  /// Small elements are copied even when a deferring arena could defer them: protobuf-c then packs them
  /// with plain `memcpy`, which for a TBlock's 2,000 entries costs less than the two append callbacks
  /// per element that deferring needs. The copying closure captures no part of the arena, which lets the
  /// compiler borrow each element instead of copying it.
  @inlinable public mutating func binaries(_ values: [Data]) -> UnsafeMutablePointer<ProtobufCBinaryData> {
    let target = array(of: ProtobufCBinaryData.self, count: values.count)
    var smallTotal = 0
    for value in values where value.count < Self.largeBytesThreshold { smallTotal &+= value.count }
    var cursor = allocate(byteCount: smallTotal, alignment: 1)
    for index in values.indices {
      let slot = target + index
      let count = values[index].count
      guard count < Self.largeBytesThreshold else {
        setBytes(values[index], into: slot)
        continue
      }
      if count > 0 {
        values[index].copyBytes(to: cursor.assumingMemoryBound(to: UInt8.self), count: count)
      }
      slot.initialize(
        to: ProtobufCBinaryData(
          len: count, data: count > 0 ? cursor.assumingMemoryBound(to: UInt8.self) : nil))
      cursor += count
    }
    return target
  }

  /// A bytes value copied into the arena (for oneof members, whose storage is a C union).
  @inlinable public mutating func copiedBinary(_ value: Data) -> ProtobufCBinaryData {
    guard !value.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
    let target = allocate(byteCount: value.count, alignment: 1)
    value.withUnsafeBytes { target.copyMemory(from: $0.baseAddress!, byteCount: value.count) }
    return ProtobufCBinaryData(len: value.count, data: target.assumingMemoryBound(to: UInt8.self))
  }

  /// A sub-message built in this arena; errors are reported under `field`.
  @inlinable public mutating func child<M: WireMessage, C>(_ value: M, field: StaticString, as type: C.Type)
    throws
    -> UnsafeMutablePointer<C>
  {
    do {
      return try value._protobufC(arena: &self).assumingMemoryBound(to: C.self)
    } catch let error as WireError {
      throw error.nested(in: "\(field)", of: "")
    }
  }

  /// A repeated message field: an array of pointers to sub-messages built in this arena.
  @inlinable public mutating func children<M: WireMessage, C>(_ values: [M], field: StaticString) throws
    -> UnsafeMutablePointer<UnsafeMutablePointer<C>?>
  {
    let target = array(of: UnsafeMutablePointer<C>?.self, count: values.count)
    for (index, value) in values.enumerated() {
      do {
        (target + index).initialize(to: try value._protobufC(arena: &self).assumingMemoryBound(to: C.self))
      } catch let error as WireError {
        throw error.nested(in: "\(field)[\(index)]", of: "")
      }
    }
    return target
  }
}
