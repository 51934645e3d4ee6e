import CProtobufC
import Foundation
import Testing
import Wire

/// The ways byte data reaches protobuf-c's output (EncodeArena): copied into the arena (small values,
/// including the elements of a TBlock's entries), deferred to the pack callback (large values, in
/// `serializedData()` and gRPC) and bound in place (large values, in `withProtobufC`). Every path must
/// produce the canonical bytes, for byte fields below, at and above the threshold and for more large
/// fields than can be bound in place.
struct EncodingPathTests {
  /// The canonical encoding of a TBlock with only byte fields, written by hand.
  func handEncoded(header: Data, entries: [Data], decision: Data) -> Data {
    var out = Data()
    func field(_ number: UInt8, _ value: Data) {
      out.append(number << 3 | 2)
      var length = UInt64(value.count)
      while length >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: length) | 0x80)
        length >>= 7
      }
      out.append(UInt8(length))
      out.append(value)
    }
    if !header.isEmpty { field(1, header) }
    for entry in entries { field(3, entry) }
    if !decision.isEmpty { field(4, decision) }
    return out
  }

  /// Encodes through `withProtobufC` and `protobuf_c_message_pack`, where no byte field is deferred.
  func packedInPlace(_ message: some WireMessage) throws -> Data {
    try message.withProtobufC { packed, size in
      var bytes = Data(count: size)
      bytes.withUnsafeMutableBytes {
        _ = protobuf_c_message_pack(packed, $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
      }
      return bytes
    }
  }

  static let shapes: [(entryCount: Int, entrySize: Int, headerSize: Int)] = [
    (0, 0, 0), (3, 10, 150), (2000, 370, 150), (1, 16 * 1024, 10), (1, 16 * 1024 - 1, 10),
    (100, 20 * 1024, 16 * 1024), (5, 0, 1 << 20),
  ]

  @Test(arguments: shapes)
  func bothPathsWriteTheCanonicalBytes(shape: (entryCount: Int, entrySize: Int, headerSize: Int)) throws {
    var generator = SeededGenerator(seed: UInt64(shape.entryCount * 31 + shape.entrySize))
    func bytes(_ count: Int) -> Data {
      Data((0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    }
    let header = bytes(shape.headerSize)
    let entries = (0..<shape.entryCount).map { index in bytes(index % 7 == 3 ? 0 : shape.entrySize) }
    let block = TBlock(header: header, entries: entries, decision: Data([0xA5, 0x01]))
    let expected = handEncoded(header: header, entries: entries, decision: Data([0xA5, 0x01]))

    #expect(try block.serializedData() == expected)
    #expect(Data(try block.serializedBytes()) == expected)
    #expect(try packedInPlace(block) == expected)
    #expect(try TBlock(serializedBytes: block.serializedData()) == block)
  }

  @Test func nestedMessagesWithDeferredFieldsMatchThePackInPlace() throws {
    var block = sampleBlock(entries: 250)
    block.entries.append(Data(repeating: 7, count: 40 * 1024))
    let chunk = ChunkReplica(
      blobID: Data(repeating: 1, count: 32), index: 3, chunkHash: Data(repeating: 2, count: 32),
      data: Data(repeating: 0xEE, count: 1 << 20))
    #expect(try block.serializedData() == packedInPlace(block))
    #expect(try chunk.serializedData() == packedInPlace(chunk))
    #expect(try ChunkReplica(serializedBytes: chunk.serializedData()) == chunk)
  }
}
