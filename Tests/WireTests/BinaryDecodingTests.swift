import Foundation
import Testing
import Wire

/// Hostile binary input: every failure is a typed WireError naming the field and offset, never a
/// crash (these tests also run under AddressSanitizer through Tools/scripts/asan.sh).
struct BinaryDecodingTests {
  func expectWireError(
    _ code: WireError.Code, _ bytes: [UInt8], as type: (some WireMessage).Type,
    limits: DecodingLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
  ) -> WireError? {
    do {
      _ = try type.init(serializedBytes: bytes, limits: limits)
      Issue.record("decoding succeeded, expected \(code)", sourceLocation: sourceLocation)
      return nil
    } catch let error as WireError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      return error
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
      return nil
    }
  }

  @Test func truncatedLengthDelimitedFieldNamesFieldAndOffset() throws {
    // TransactionBody.chain_id (field 1, wire type 2) announcing 10 bytes, giving 3.
    let error = expectWireError(.truncated, [0x0A, 0x0A, 0x61, 0x62, 0x63], as: TransactionBody.self)
    #expect(error?.fieldPath == ["chain_id"])
    #expect(error?.offset == 1)
    #expect(error?.description.contains("sehc.v1.TransactionBody.chain_id at byte 1") == true)
  }

  @Test func everyPrefixOfAValidBlockDecodesOrFailsCleanly() throws {
    let block = try sampleBlock(entries: 20).serializedBytes()
    var failures = 0
    for length in 0..<block.count {
      do {
        _ = try TBlock(serializedBytes: block[0..<length])
      } catch let error as WireError {
        failures += 1
        #expect([.truncated, .invalidVarint].contains(error.code), "\(error)")
      }
    }
    #expect(failures > block.count / 2)
    #expect(try TBlock(serializedBytes: block) == sampleBlock(entries: 20))
  }

  @Test func nestedTruncationReportsThePathAndAbsoluteOffset() {
    // TBlock.certificate -> CommitCertificate.votes -> Vote.body claims 50 bytes but holds 2.
    let vote: [UInt8] = [0x0A, 0x32, 0x01, 0x02]
    let certificate: [UInt8] = [0x0A, UInt8(vote.count)] + vote
    let block: [UInt8] = [0x2A, UInt8(certificate.count)] + certificate
    let error = expectWireError(.truncated, block, as: TBlock.self)
    #expect(error?.fieldPath == ["certificate", "votes", "body"])
    #expect(error?.offset == 5)
  }

  @Test func randomGarbageNeverCrashes() {
    var generator = SeededGenerator(seed: 0x5EED)
    let types: [any WireMessage.Type] = WireSchema.registry.names.map { WireSchema.registry.types[$0]! }
    var outcomes: [WireError.Code: Int] = [:]
    for round in 0..<20_000 {
      let count = Int.random(in: 0..<64, using: &generator)
      let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let type = types[round % types.count]
      do {
        _ = try type.init(serializedBytes: bytes, limits: .default)
      } catch let error as WireError {
        outcomes[error.code, default: 0] += 1
      } catch {
        Issue.record("non-wire error \(error)")
      }
    }
    #expect(outcomes.values.reduce(0, +) > 10_000)
    #expect(outcomes[.malformed, default: 0] == 0, "the scanner should explain every failure: \(outcomes)")
  }

  @Test func mutatedVectorsNeverCrash() throws {
    var generator = SeededGenerator(seed: 42)
    for vector in VectorTests.vectors where vector.hex.count > 8 {
      let type = try WireSchema.registry.type(named: vector.type)
      let original = hexBytes(vector.hex)
      for _ in 0..<20 {
        var bytes = original
        let flips = Int.random(in: 1...4, using: &generator)
        for _ in 0..<flips {
          bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(
            in: 1...255, using: &generator)
        }
        do {
          let decoded = try type.init(serializedBytes: bytes, limits: .default)
          // Whatever decodes must re-encode and decode to the same message.
          let again = try type.init(serializedBytes: try decoded.serializedBytes(), limits: .default)
          #expect(again.jsonString() == decoded.jsonString())
        } catch is WireError {
        }
      }
    }
  }

  @Test func oversizedInputIsRejectedBeforeParsing() {
    let bytes = [UInt8](repeating: 0, count: 1025)
    let error = expectWireError(
      .tooLarge, bytes, as: ChunkReplica.self, limits: DecodingLimits(maxBytes: 1024, maxDepth: 8))
    #expect(error?.detail.contains("1025 bytes exceed the limit of 1024") == true)
  }

  @Test func nestingDeeperThanTheLimitIsRejected() throws {
    let block = try sampleBlock(entries: 1).serializedBytes()
    // TBlock -> CommitCertificate -> Vote -> Signature is depth 4.
    let error = expectWireError(
      .tooDeep, block, as: TBlock.self, limits: DecodingLimits(maxBytes: 1 << 20, maxDepth: 3))
    #expect(error?.fieldPath == ["certificate", "votes", "signature"])
    #expect(
      try TBlock(serializedBytes: block, limits: DecodingLimits(maxBytes: 1 << 20, maxDepth: 4)).entries.count
        == 1)
  }

  @Test func deeplyNestedUnknownFieldsAreSkippedWithoutRecursion() throws {
    // 100,000 levels of field 99 (unknown to Signature), each wrapping the next.
    var inner: [UInt8] = []
    for _ in 0..<100_000 {
      inner = [0x9A, 0x06] + varint(UInt64(inner.count)) + inner
    }
    let message = try Signature(serializedBytes: inner)
    #expect(message == Signature())
  }

  @Test func groupsAreRejected() {
    let error = expectWireError(.wrongWireType, [0x0B, 0x0C], as: Signature.self)
    #expect(error?.detail.contains("groups") == true)
  }

  @Test func wrongWireTypeForAKnownField() {
    // TransactionBody.nonce (3) is a varint; send it as fixed32.
    let error = expectWireError(.wrongWireType, [0x1D, 1, 2, 3, 4], as: TransactionBody.self)
    #expect(error?.fieldPath == ["nonce"])
  }

  @Test func overlongVarintIsRejected() {
    let bytes: [UInt8] = [0x18] + [UInt8](repeating: 0xFF, count: 10) + [0x01]
    _ = expectWireError(.invalidVarint, bytes, as: TransactionBody.self)
  }

  @Test func fieldNumberZeroIsRejected() {
    _ = expectWireError(.invalidTag, [0x00, 0x01], as: TransactionBody.self)
  }

  @Test func nulInsideAStringIsRejectedOnDecode() {
    // protobuf-c would silently cut "ab\0cd" to "ab".
    let error = expectWireError(
      .containsNUL, [0x0A, 0x05, 0x61, 0x62, 0x00, 0x63, 0x64], as: TransactionBody.self)
    #expect(error?.fieldPath == ["chain_id"])
  }

  @Test func invalidUTF8IsRejectedOnDecode() {
    let error = expectWireError(.invalidUTF8, [0x0A, 0x02, 0xC3, 0x28], as: TransactionBody.self)
    #expect(error?.fieldPath == ["chain_id"])
  }

  @Test func invalidUTF8InANestedRepeatedStringNamesTheElement() throws {
    // ListServiceResponse.service[1].name
    let good: [UInt8] = [0x0A, 0x03, 0x0A, 0x01, 0x61]
    let bad: [UInt8] = [0x0A, 0x04, 0x0A, 0x02, 0xFF, 0xFE]
    let error = expectWireError(.invalidUTF8, good + bad, as: ListServiceResponse.self)
    #expect(error?.fieldPath == ["service[1]", "name"])
  }

  @Test func nulInsideAStringIsRejectedOnEncode() {
    let body = TransactionBody(chainID: "sehc\0devnet")
    #expect {
      _ = try body.serializedData()
    } throws: { error in
      guard let error = error as? WireError else { return false }
      return error.code == .containsNUL && error.fieldPath == ["chain_id"]
        && error.messageType == "sehc.v1.TransactionBody"
    }
  }

  @Test func nulInANestedStringNamesThePathOnEncode() {
    var body = TransactionBody()
    body.payload = .putRecord(
      PutRecord(metadata: [Attribute(key: "a", value: "b"), Attribute(key: "x\0", value: "")]))
    #expect {
      _ = try body.serializedBytes()
    } throws: { error in
      (error as? WireError)?.fieldPath == ["put_record", "metadata[1]", "key"]
    }
  }

  @Test func packedAndUnpackedRepeatedScalarsBothDecode() throws {
    // WatchBlocksRequest.shards (3): packed [1, 2] and unpacked 1, 2.
    let packed = try WatchBlocksRequest(serializedBytes: [0x1A, 0x02, 0x01, 0x02])
    let unpacked = try WatchBlocksRequest(serializedBytes: [0x18, 0x01, 0x18, 0x02])
    #expect(packed.shards == [1, 2])
    #expect(unpacked.shards == [1, 2])
  }

  @Test func largeByteFieldsRoundTripWithoutCorruption() throws {
    for size in [0, 1, 16 * 1024 - 1, 16 * 1024, 1 << 20, (1 << 20) + 7] {
      let data = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
      let chunk = ChunkReplica(
        blobID: Data(repeating: 1, count: 32), index: 3, chunkHash: Data(repeating: 2, count: 32), data: data)
      let bytes = try chunk.serializedData()
      let decoded = try ChunkReplica(serializedBytes: bytes)
      #expect(decoded == chunk)
      #expect(try decoded.serializedData() == bytes)
    }
  }

  @Test func elementsOfARepeatedBytesFieldAreIndependentValues() throws {
    // Small elements come back as slices of one buffer, large ones adopted one by one.
    let sizes = [0, 1, 14, 15, 370, 16 * 1024 - 1, 16 * 1024, 0, 40_000, 33]
    let entries = sizes.enumerated().map { index, size in
      Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
    }
    let block = TBlock(header: Data(repeating: 9, count: 40), entries: entries)
    let bytes = try block.serializedData()
    var decoded = try TBlock(serializedBytes: bytes)
    #expect(decoded.entries == entries)
    for (element, original) in zip(decoded.entries, entries) {
      #expect(Array(element) == Array(original))
      #expect(element.first == original.first && element.last == original.last)
      if !element.isEmpty { #expect(element[element.startIndex] == original[original.startIndex]) }
    }
    #expect(try decoded.serializedData() == bytes)
    // Changing one element copies it; its neighbours in the shared buffer keep their bytes.
    let neighbour = decoded.entries[4]
    decoded.entries[3][decoded.entries[3].startIndex] ^= 0xFF
    #expect(decoded.entries[4] == entries[4] && neighbour == entries[4])
    #expect(decoded.entries[3] != entries[3])
    // An element outlives the message it was decoded from.
    let survivor = try TBlock(serializedBytes: bytes).entries[9]
    #expect(survivor == entries[9])
  }

  @Test func manyLargeFieldsInOneMessage() throws {
    // More large byte fields than are bound in place: the rest are copied, all must survive.
    let hashes = (0..<100).map { Data(repeating: UInt8($0), count: 20_000) }
    let manifest = BlobManifest(totalSize: 1, chunkSize: 2, chunkHashes: hashes)
    let decoded = try BlobManifest(serializedBytes: try manifest.serializedBytes())
    #expect(decoded == manifest)
  }

  @Test func unknownEnumValuesSurviveARoundTrip() throws {
    let participant = Participant(role: .unrecognized(42))
    let decoded = try Participant(serializedBytes: try participant.serializedBytes())
    #expect(decoded.role == .unrecognized(42))
    #expect(decoded.jsonString() == #"{"role":42}"#)
  }
}

func varint(_ value: UInt64) -> [UInt8] {
  var value = value
  var bytes: [UInt8] = []
  repeat {
    var byte = UInt8(value & 0x7F)
    value >>= 7
    if value != 0 { byte |= 0x80 }
    bytes.append(byte)
  } while value != 0
  return bytes
}

func sampleVote() -> Vote {
  Vote(
    body: Data(repeating: 7, count: 90),
    signature: Signature(publicKey: Data(repeating: 1, count: 32), signature: Data(repeating: 2, count: 64)))
}

func sampleBlock(entries: Int) -> TBlock {
  TBlock(
    header: Data(repeating: 9, count: 150),
    proposerSignature: Signature(
      publicKey: Data(repeating: 1, count: 32), signature: Data(repeating: 2, count: 64)),
    entries: (0..<entries).map { Data(repeating: UInt8($0), count: 200) },
    decision: Data([0xFF]),
    certificate: CommitCertificate(votes: [sampleVote(), sampleVote()]))
}

/// A small deterministic generator (SplitMix64) so that failures replay.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
