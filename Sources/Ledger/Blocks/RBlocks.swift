import ChainCrypto
import Foundation
import Wire

/// Building and verifying RChain blocks and their certificates (docs/ledger.md, "RBlocks").
///
/// The RBlock hash is SHA-256 of the header bytes; the proposer and every signer sign
/// "sehc/v1/rblock" || hash. A certificate is a signer bitmap over the genesis validator order and the
/// signatures in the order of the set bits. It commits the block when its signers are more than two
/// thirds of all validators and more than half of every shard's members in the block's epoch.
public enum RBlocks {
  /// A validator's signature of the RBlock with hash `hash`.
  public static func sign(hash: SHA256Digest, key: Ed25519.PrivateKey) throws -> Data {
    try key.sign(domain: .rblock, message: hash.data)
  }

  /// A certificate from signatures by validator address, in the genesis order of `membership`.
  /// Signatures of addresses that are not validators are ignored; nothing is verified here.
  public static func certificate(signatures: [Address: Data], membership: MembershipDirectory)
    -> RBlockCertificate
  {
    var bits = BitVector(count: membership.validatorOrder.count)
    var ordered: [Data] = []
    for (index, validator) in membership.validatorOrder.enumerated() {
      if let signature = signatures[validator] {
        bits[index] = true
        ordered.append(signature)
      }
    }
    return RBlockCertificate(signers: bits.bytes, signatures: ordered)
  }

  /// A verified RBlock: its header, hash and signers.
  public struct VerifiedRBlock: Sendable, Hashable {
    public var header: RBlockHeader
    public var hash: SHA256Digest
    public var signers: [Address]
  }

  /// Verifies `block`: the header decodes and is for this network, links to `previous` (the header
  /// of the RBlock at height - 1, or nil at height 1), lists shards sorted and complete, and the
  /// certificate holds valid signatures of more than two thirds of all validators and more than half
  /// of every shard's members in `assignment` (the block's epoch).
  public static func verify(
    _ block: RBlock, chainID: String, membership: MembershipDirectory, assignment: ShardAssignment,
    previous: (header: RBlockHeader, hash: SHA256Digest)?
  ) throws(LedgerError) -> VerifiedRBlock {
    let header: RBlockHeader
    do { header = try RBlockHeader(serializedBytes: block.header) } catch {
      throw .invalidBlock("the RBlock header is not an RBlockHeader: \(error)")
    }
    let hash = BlockHashes.hash(header: block.header)
    guard header.chainID == chainID else {
      throw .invalidBlock("the RBlock is for chain \"\(header.chainID)\", not \"\(chainID)\"")
    }
    if let previous {
      guard header.height == previous.header.height + 1, header.previousHash == previous.hash.data else {
        throw .invalidBlock(
          "RBlock \(header.height) does not follow RBlock \(previous.header.height) (\(previous.hash))")
      }
      guard header.timestampMs >= previous.header.timestampMs else {
        throw .invalidBlock("RBlock \(header.height)'s timestamp is before its predecessor's")
      }
    } else {
      guard header.height == 1, header.previousHash == BlockHashes.zero else {
        throw .invalidBlock("the first RBlock must have height 1 and a zero previous hash")
      }
    }
    guard header.epoch == assignment.epoch else {
      throw .invalidBlock(
        "the RBlock is of epoch \(header.epoch); the assignment given is of epoch \(assignment.epoch)")
    }
    let shards = header.shards.map(\.shard)
    guard shards == assignment.shards.map(\.shard).sorted() else {
      throw .invalidBlock("the RBlock covers shards \(shards); it must list every shard once, sorted")
    }
    guard let certificate = block.certificate else { throw .invalidBlock("the RBlock has no certificate") }
    let order = membership.validatorOrder
    guard let bits = BitVector(bytes: certificate.signers, count: order.count) else {
      throw .invalidBlock(
        "the signer bitmap has \(certificate.signers.count) bytes for \(order.count) validators (or stray high bits)"
      )
    }
    let signers = (0..<order.count).filter { bits[$0] }.map { order[$0] }
    guard signers.count == certificate.signatures.count else {
      throw .invalidBlock(
        "\(signers.count) signers in the bitmap but \(certificate.signatures.count) signatures")
    }
    let items = zip(signers, certificate.signatures).map { signer, signature in
      Ed25519.BatchItem(
        publicKey: membership.validatorKeys[signer]!, message: hash.data, signature: signature,
        domain: .rblock)
    }
    if let bad = Ed25519.batchVerify(items).firstIndex(of: false) {
      throw .invalidBlock("the signature of \(signers[bad]) does not verify over \"sehc/v1/rblock\" || hash")
    }
    guard signers.count * 3 > order.count * 2 else {
      throw .invalidBlock(
        "\(signers.count) of \(order.count) validators signed: more than two thirds are needed")
    }
    let signerSet = Set(signers)
    for shard in assignment.shards {
      let members = shard.members.compactMap { try? Address(rawRepresentation: $0) }
      let signed = members.filter(signerSet.contains).count
      guard signed * 2 > members.count else {
        throw .invalidBlock(
          "\(signed) of the \(members.count) members of shard \(shard.shard) signed: more than half are needed"
        )
      }
    }
    return VerifiedRBlock(header: header, hash: hash, signers: signers)
  }
}
