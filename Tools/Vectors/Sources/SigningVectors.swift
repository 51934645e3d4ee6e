import ChainCrypto
import Foundation
import Wire

/// The signing and hashing vectors of Interop/vectors/signing.json: Ed25519 keys from fixed seeds
/// with their addresses, signed transactions with their ids, a signed TBlock header with its hash, a
/// signed vote, and RFC 6962 Merkle trees with every inclusion proof. Everything is deterministic
/// (Ed25519 signatures are), so a client in any language can reproduce every byte.
struct SigningVectors: Encodable {
  struct Key: Encodable {
    var seed: String
    var publicKey: String
    var address: String
  }
  struct Signed: Encodable {
    var description: String
    var type: String
    var json: String
    var hex: String
    var hash: String
    var domain: String
    var signerSeed: String
    var signature: String
    /// The envelope carrying the signed bytes (SignedTransaction, TBlock, Vote), hex.
    var envelopeType: String
    var envelopeHex: String
  }
  struct Proof: Encodable {
    var leafIndex: Int
    var treeSize: Int
    var path: [String]
  }
  struct Tree: Encodable {
    var leaves: [String]
    var leafHashes: [String]
    var root: String
    var proofs: [Proof]
  }

  var format = "sehc-signing-vectors/1"
  var description =
    "Ed25519 over domain || signed bytes (DESIGN §4); ids and hashes are SHA-256 of the signed bytes; addresses are the first 20 bytes of SHA-256(public key); Merkle trees per RFC 6962. See Interop/README.md."
  var keys: [Key] = []
  var signed: [Signed] = []
  var merkleTrees: [Tree] = []

  static func make() throws -> SigningVectors {
    var vectors = SigningVectors()
    let seeds = (1...3).map { SHA256.hash(Data("sehc interop key \($0)".utf8)).data }
    let keys = try seeds.map { try Ed25519.PrivateKey(rawRepresentation: $0) }
    for (seed, key) in zip(seeds, keys) {
      vectors.keys.append(
        Key(seed: seed.hex, publicKey: key.publicKey.rawRepresentation.hex, address: key.address.hex))
    }
    let patient = keys[0]
    let clinician = keys[1]

    func transaction(_ description: String, signer: Int, _ body: TransactionBody) throws {
      let bytes = try body.serializedData()
      let signature = try keys[signer].sign(domain: .transaction, message: bytes)
      let envelope = SignedTransaction(
        body: bytes,
        signatures: [Signature(publicKey: keys[signer].publicKey.rawRepresentation, signature: signature)])
      vectors.signed.append(
        Signed(
          description: description, type: TransactionBody.protoMessageName, json: body.jsonString(),
          hex: bytes.hex,
          hash: SHA256.hash(bytes).hex, domain: SigningDomain.transaction.rawValue,
          signerSeed: seeds[signer].hex,
          signature: signature.hex, envelopeType: SignedTransaction.protoMessageName,
          envelopeHex: try envelope.serializedData().hex))
    }

    try transaction(
      "a clinician adds a lab report for a patient (cross-shard when their shards differ)", signer: 1,
      TransactionBody(
        chainID: "sehc-devnet", sender: clinician.address.rawRepresentation, nonce: 1,
        createdAtMs: 1_764_000_000_000,
        payload: .putRecord(
          PutRecord(
            patient: patient.address.rawRepresentation, kind: "lab-report", mediaType: "application/json",
            content: BlobManifest(
              totalSize: 11, chunkSize: 1 << 20, chunkHashes: [SHA256.hash(Data("hello world".utf8)).data],
              merkleRoot: MerkleTree(leaves: [SHA256.hash(Data("hello world".utf8)).data]).root.data,
              contentHash: SHA256.hash(Data("hello world".utf8)).data),
            metadata: [
              Attribute(key: "loinc", value: "94500-6"), Attribute(key: "title", value: "SARS-CoV-2 RNA PCR"),
            ]))))
    try transaction(
      "a patient grants a clinician access to all records until a date", signer: 0,
      TransactionBody(
        chainID: "sehc-devnet", sender: patient.address.rawRepresentation, nonce: 7,
        createdAtMs: 1_764_000_000_500,
        validUntilMs: 1_764_000_600_000,
        payload: .grantAccess(
          GrantAccess(grantee: clinician.address.rawRepresentation, expiresAtMs: 1_795_536_000_000))))
    try transaction(
      "a transfer of the largest amount", signer: 2,
      TransactionBody(
        chainID: "sehc-devnet", sender: keys[2].address.rawRepresentation, nonce: UInt64.max,
        payload: .transfer(Transfer(recipient: patient.address.rawRepresentation, amount: UInt64.max))))

    let entries = try (0..<3).map { index in
      try TBlockEntry(
        entry: .transaction(
          try SignedTransaction(serializedBytes: vectors.signed[index].envelopeHex.hexBytes))
      ).serializedData()
    }
    let header = TBlockHeader(
      chainID: "sehc-devnet", shard: 1, epoch: 2, view: 3, height: 42,
      previousHash: SHA256.hash(Data("block 41".utf8)).data,
      entriesRoot: MerkleTree(leaves: entries).root.data, entryCount: UInt32(entries.count),
      timestampMs: 1_764_000_001_000,
      proposer: keys[2].address.rawRepresentation, parentStateRoot: SHA256.hash(Data("state 41".utf8)).data)
    let headerBytes = try header.serializedData()
    let headerSignature = try keys[2].sign(domain: .tblock, message: headerBytes)
    let block = TBlock(
      header: headerBytes,
      proposerSignature: Signature(
        publicKey: keys[2].publicKey.rawRepresentation, signature: headerSignature),
      entries: entries)
    vectors.signed.append(
      Signed(
        description: "a TBlock header signed by its proposer; its hash is the block hash",
        type: TBlockHeader.protoMessageName,
        json: header.jsonString(), hex: headerBytes.hex, hash: SHA256.hash(headerBytes).hex,
        domain: SigningDomain.tblock.rawValue,
        signerSeed: seeds[2].hex, signature: headerSignature.hex, envelopeType: TBlock.protoMessageName,
        envelopeHex: try block.serializedData().hex))

    let vote = VoteBody(
      chainID: "sehc-devnet", shard: 1, epoch: 2, view: 3, height: 42,
      blockHash: SHA256.hash(headerBytes).data,
      valid: Data([0b0000_0101]), voter: keys[0].address.rawRepresentation)
    let voteBytes = try vote.serializedData()
    let voteSignature = try keys[0].sign(domain: .vote, message: voteBytes)
    vectors.signed.append(
      Signed(
        description: "a vote on that block: entries 0 and 2 valid, entry 1 invalid",
        type: VoteBody.protoMessageName,
        json: vote.jsonString(), hex: voteBytes.hex, hash: SHA256.hash(voteBytes).hex,
        domain: SigningDomain.vote.rawValue,
        signerSeed: seeds[0].hex, signature: voteSignature.hex, envelopeType: Vote.protoMessageName,
        envelopeHex: try Vote(
          body: voteBytes,
          signature: Signature(publicKey: keys[0].publicKey.rawRepresentation, signature: voteSignature)
        )
        .serializedData().hex))

    for size in [0, 1, 2, 3, 7, 8] {
      let leaves = (0..<size).map { Data("leaf \($0)".utf8) }
      let tree = MerkleTree(leaves: leaves)
      vectors.merkleTrees.append(
        Tree(
          leaves: leaves.map(\.hex), leafHashes: leaves.map { MerkleTree.leafHash($0).hex },
          root: tree.root.hex,
          proofs: try (0..<size).map { index in
            let proof = try tree.inclusionProof(forLeafAt: index)
            return Proof(
              leafIndex: proof.leafIndex, treeSize: proof.treeSize, path: proof.auditPath.map(\.hex))
          }))
    }
    return vectors
  }

  func write(to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try (encoder.encode(self) + Data("\n".utf8)).write(to: url)
  }
}

extension Data {
  var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension String {
  var hexBytes: [UInt8] {
    stride(from: 0, to: count, by: 2).map {
      let start = index(startIndex, offsetBy: $0)
      return UInt8(self[start..<index(start, offsetBy: 2)], radix: 16)!
    }
  }
}
