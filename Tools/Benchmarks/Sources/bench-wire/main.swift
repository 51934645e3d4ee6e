import BenchSupport
import Foundation
import SwiftProtobuf
import Wire

// bench-wire: encode and decode through the generated Swift API over protobuf-c, next to
// apple/swift-protobuf on the same messages and the same bytes, in the same run.

struct Case {
  var name: String
  var bytes: Data
  var encodeOurs: () throws -> Data
  var decodeOurs: (Data) throws -> Void
  var encodeAnchor: () throws -> Data
  var decodeAnchor: (Data) throws -> Void
}

func makeCase<Ours: WireMessage, Anchor: SwiftProtobuf.Message>(
  _ name: String, _ ours: Ours, _ anchorType: Anchor.Type
) throws -> Case {
  let bytes = try ours.serializedData()
  let anchor = try Anchor(serializedBytes: bytes)
  guard try anchor.serializedData() == bytes else {
    fatalError("\(name): swift-protobuf does not encode the same bytes; the comparison would not be fair")
  }
  return Case(
    name: name, bytes: bytes,
    encodeOurs: { try ours.serializedData() },
    decodeOurs: { _ = try Ours(serializedBytes: $0) },
    encodeAnchor: { try anchor.serializedData() },
    decodeAnchor: { _ = try Anchor(serializedBytes: $0) })
}

func signedTransaction(_ index: Int) throws -> SignedTransaction {
  var body = TransactionBody(
    chainID: "sehc-devnet", sender: Data(repeating: UInt8(index & 0xFF), count: 20), nonce: UInt64(index + 1),
    createdAtMs: 1_764_000_000_000 + UInt64(index))
  body.payload = .putRecord(
    PutRecord(
      patient: Data(repeating: 7, count: 20), kind: "lab-report", mediaType: "application/json",
      content: BlobManifest(
        totalSize: 2048, chunkSize: 1 << 20, chunkHashes: [Data(repeating: 3, count: 32)],
        merkleRoot: Data(repeating: 4, count: 32), contentHash: Data(repeating: 5, count: 32)),
      metadata: [
        Attribute(key: "loinc", value: "94500-6"), Attribute(key: "title", value: "SARS-CoV-2 RNA PCR"),
      ]))
  return SignedTransaction(
    body: try body.serializedData(),
    signatures: [
      Signature(publicKey: Data(repeating: 1, count: 32), signature: Data(repeating: 2, count: 64))
    ])
}

func block(entries: Int) throws -> TBlock {
  let header = TBlockHeader(
    chainID: "sehc-devnet", shard: 1, epoch: 3, view: 0, height: 1000,
    previousHash: Data(repeating: 9, count: 32),
    entriesRoot: Data(repeating: 8, count: 32), entryCount: UInt32(entries), timestampMs: 1_764_000_000_000,
    proposer: Data(repeating: 6, count: 20), parentStateRoot: Data(repeating: 5, count: 32))
  let vote = Vote(
    body: try VoteBody(
      chainID: "sehc-devnet", shard: 1, epoch: 3, height: 1000, blockHash: Data(repeating: 4, count: 32),
      valid: Data(repeating: 0xFF, count: entries / 8), voter: Data(repeating: 3, count: 20)
    ).serializedData(),
    signature: Signature(publicKey: Data(repeating: 1, count: 32), signature: Data(repeating: 2, count: 64)))
  return TBlock(
    header: try header.serializedData(),
    proposerSignature: Signature(
      publicKey: Data(repeating: 1, count: 32), signature: Data(repeating: 2, count: 64)),
    entries: try (0..<entries).map {
      try TBlockEntry(entry: .transaction(try signedTransaction($0))).serializedData()
    },
    decision: Data(repeating: 0xFF, count: entries / 8),
    certificate: CommitCertificate(votes: Array(repeating: vote, count: 3)))
}

let cases = [
  try makeCase("SignedTransaction", try signedTransaction(1), Sehc_V1_SignedTransaction.self),
  try makeCase("TBlock, 2,000 transactions", try block(entries: 2000), Sehc_V1_TBlock.self),
  try makeCase(
    "1 MiB image chunk",
    ChunkReplica(
      blobID: Data(repeating: 1, count: 32), index: 5, chunkHash: Data(repeating: 2, count: 32),
      data: Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })),
    Sehc_V1_ChunkReplica.self),
]

// BENCH_CASE=substring limits the run to matching cases (for profiling one case with perf).
let filter = ProcessInfo.processInfo.environment["BENCH_CASE"]
var rows: [Comparison] = []
for benchCase in cases where filter.map({ benchCase.name.contains($0) }) ?? true {
  // BENCH_ONLY=decode-ours (or encode-ours, ...) runs one measurement alone, for profiling.
  if let only = ProcessInfo.processInfo.environment["BENCH_ONLY"] {
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < .seconds(3) {
      switch only {
      case "encode-ours": _ = try benchCase.encodeOurs()
      case "decode-ours": try benchCase.decodeOurs(benchCase.bytes)
      case "encode-anchor": _ = try benchCase.encodeAnchor()
      default: try benchCase.decodeAnchor(benchCase.bytes)
      }
    }
    continue
  }
  let (encodeOurs, encodeAnchor) = try measurePair(
    "encode", ours: { _ = try benchCase.encodeOurs() }, anchor: { _ = try benchCase.encodeAnchor() })
  let (decodeOurs, decodeAnchor) = try measurePair(
    "decode", ours: { try benchCase.decodeOurs(benchCase.bytes) },
    anchor: { try benchCase.decodeAnchor(benchCase.bytes) })
  rows.append(
    Comparison(
      name: "encode \(benchCase.name) (\(benchCase.bytes.count) B)", unit: "op/s",
      ours: encodeOurs.operationsPerSecond,
      anchor: encodeAnchor.operationsPerSecond, anchorName: "swift-protobuf", target: 1.0))
  rows.append(
    Comparison(
      name: "decode \(benchCase.name) (\(benchCase.bytes.count) B)", unit: "op/s",
      ours: decodeOurs.operationsPerSecond,
      anchor: decodeAnchor.operationsPerSecond, anchorName: "swift-protobuf", target: 1.0))
}
report("Wire: protobuf-c through the generated Swift API vs apple/swift-protobuf 1.39", rows)
