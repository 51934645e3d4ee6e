import ChainCrypto
import Foundation
import Wire

/// Building and verifying TChain proposals and committed TBlocks (docs/ledger.md, "Blocks").
public enum TBlocks {
  /// The fields of a header that the proposer chooses; `propose` fills in the entries root, the
  /// entry count and the proposer.
  public struct HeaderFields: Sendable, Hashable {
    public var chainID: String
    public var shard: UInt32
    public var epoch: UInt64
    public var view: UInt64
    public var height: UInt64
    public var previousHash: Data
    public var timestampMs: UInt64
    public var parentStateRoot: Data
    public var rblockHeight: UInt64

    public init(
      chainID: String, shard: UInt32, epoch: UInt64, view: UInt64, height: UInt64, previousHash: Data,
      timestampMs: UInt64, parentStateRoot: Data, rblockHeight: UInt64 = 0
    ) {
      self.chainID = chainID
      self.shard = shard
      self.epoch = epoch
      self.view = view
      self.height = height
      self.previousHash = previousHash
      self.timestampMs = timestampMs
      self.parentStateRoot = parentStateRoot
      self.rblockHeight = rblockHeight
    }
  }

  /// A proposal of `entries` (serialized TBlockEntry each) signed by `key` over "sehc/v1/tblock" || header.
  public static func propose(_ fields: HeaderFields, entries: [Data], key: Ed25519.PrivateKey) throws
    -> Proposal
  {
    let header = TBlockHeader(
      chainID: fields.chainID, shard: fields.shard, epoch: fields.epoch, view: fields.view,
      height: fields.height,
      previousHash: fields.previousHash, entriesRoot: BlockHashes.entriesRoot(entries).data,
      entryCount: UInt32(entries.count), timestampMs: fields.timestampMs,
      proposer: key.address.rawRepresentation,
      parentStateRoot: fields.parentStateRoot, rblockHeight: fields.rblockHeight)
    let bytes = try header.serializedData()
    return Proposal(
      header: bytes,
      signature: Signature(
        publicKey: key.publicKey.rawRepresentation, signature: try key.sign(domain: .tblock, message: bytes)),
      entries: entries)
  }

  /// What a verified proposal or block is: its header and hash.
  public struct VerifiedHeader: Sendable, Hashable {
    public var header: TBlockHeader
    public var hash: SHA256Digest
    public var bytes: Data
    /// A reference to the block.
    public var ref: BlockRef { BlockRef(shard: header.shard, height: header.height, hash: hash.data) }
  }

  /// The block a new block must extend: the previous block's height, hash, timestamp, credited
  /// RBlock height, and the state root after it. For height 1 use `Parent.genesis(stateRoot:)`.
  public struct Parent: Sendable, Hashable {
    public var height: UInt64
    public var hash: Data
    public var timestampMs: UInt64
    public var rblockHeight: UInt64
    public var stateRoot: Data

    public init(height: UInt64, hash: Data, timestampMs: UInt64, rblockHeight: UInt64, stateRoot: Data) {
      self.height = height
      self.hash = hash
      self.timestampMs = timestampMs
      self.rblockHeight = rblockHeight
      self.stateRoot = stateRoot
    }

    /// The parent of block 1: height 0, zero hash, the genesis state root.
    public static func genesis(stateRoot: SHA256Digest, timestampMs: UInt64 = 0) -> Parent {
      Parent(
        height: 0, hash: BlockHashes.zero, timestampMs: timestampMs, rblockHeight: 0,
        stateRoot: stateRoot.data)
    }
  }

  /// Checks a proposed (or committed) block's header and entries: the header decodes, is for this
  /// network and the members' shard and epoch, links to `parent` (height, previous hash, state
  /// root, timestamp and RBlock height not going back), the entries match entries_root and
  /// entry_count within the size limits, and the proposer is the leader of the header's view and
  /// signed it.
  public static func verifyProposal(
    header bytes: Data, signature: Signature?, entries: [Data], parameters: ChainParameters,
    members: ShardMemberSet, parent: Parent?
  ) throws(LedgerError) -> VerifiedHeader {
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: bytes) } catch {
      throw .invalidBlock("the header is not a TBlockHeader: \(error)")
    }
    let hash = BlockHashes.hash(header: bytes)
    guard header.chainID == parameters.chainID else {
      throw .invalidBlock("the header is for chain \"\(header.chainID)\", not \"\(parameters.chainID)\"")
    }
    guard header.shard == members.shard, header.epoch == members.epoch else {
      throw .invalidBlock(
        "the header is for shard \(header.shard) epoch \(header.epoch); the members are of shard \(members.shard) epoch \(members.epoch)"
      )
    }
    guard header.shard < parameters.shardCount else {
      throw .invalidBlock("shard \(header.shard) does not exist (\(parameters.shardCount) shards)")
    }
    if let parent {
      guard header.height == parent.height + 1 else {
        throw .invalidBlock("height \(header.height) does not follow \(parent.height)")
      }
      guard header.previousHash == parent.hash else {
        throw .invalidBlock(
          "previous_hash \(header.previousHash.hexString) is not the hash of block \(parent.height), \(parent.hash.hexString)"
        )
      }
      guard header.parentStateRoot == parent.stateRoot else {
        throw .invalidBlock(
          "parent_state_root \(header.parentStateRoot.hexString) is not the state root after block \(parent.height), \(parent.stateRoot.hexString)"
        )
      }
      guard header.timestampMs >= parent.timestampMs else {
        throw .invalidBlock(
          "timestamp \(header.timestampMs) is before the previous block's \(parent.timestampMs)")
      }
      guard header.rblockHeight >= parent.rblockHeight else {
        throw .invalidBlock(
          "rblock_height \(header.rblockHeight) is below the previous block's \(parent.rblockHeight)")
      }
    } else {
      guard header.height >= 1 else { throw .invalidBlock("height 0: the first block has height 1") }
    }
    guard Int(header.entryCount) == entries.count else {
      throw .invalidBlock("entry_count \(header.entryCount) but \(entries.count) entries")
    }
    guard entries.count <= parameters.maxBlockEntries else {
      throw .invalidBlock("\(entries.count) entries; the limit is \(parameters.maxBlockEntries)")
    }
    let totalBytes = entries.reduce(0) { $0 + $1.count }
    guard totalBytes <= parameters.maxBlockBytes else {
      throw .invalidBlock("\(totalBytes) bytes of entries; the limit is \(parameters.maxBlockBytes)")
    }
    guard header.entriesRoot == BlockHashes.entriesRoot(entries).data else {
      throw .invalidBlock("entries_root is not the RFC 6962 root of the entries")
    }
    guard let proposer = try? Address(rawRepresentation: header.proposer) else {
      throw .invalidBlock("the proposer is not a 20-byte address")
    }
    let leader = members.leader(view: header.view)
    guard proposer == leader else {
      throw .invalidBlock("the proposer \(proposer) is not the leader of view \(header.view), \(leader)")
    }
    guard let signature, signature.publicKey == members.keys[proposer]?.rawRepresentation,
      members.keys[proposer]!.isValidSignature(signature.signature, domain: .tblock, message: bytes)
    else {
      throw .invalidBlock("the proposer's signature over \"sehc/v1/tblock\" || header does not verify")
    }
    return VerifiedHeader(header: header, hash: hash, bytes: bytes)
  }

  /// `verifyProposal` for a `Proposal` message.
  public static func verify(
    _ proposal: Proposal, parameters: ChainParameters, members: ShardMemberSet, parent: Parent?
  ) throws(LedgerError) -> VerifiedHeader {
    try verifyProposal(
      header: proposal.header, signature: proposal.signature, entries: proposal.entries,
      parameters: parameters,
      members: members, parent: parent)
  }

  /// The committed block of `proposal` with `certificate`: its decision is recomputed from the votes
  /// (which are checked against `members`).
  public static func assemble(
    _ proposal: Proposal, certificate: CommitCertificate, members: ShardMemberSet
  ) throws(LedgerError) -> TBlock {
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: proposal.header) } catch {
      throw .invalidBlock("the header is not a TBlockHeader: \(error)")
    }
    let tally: CommitCertificates.Tally
    do {
      tally = try CommitCertificates.tally(
        certificate, header: header, blockHash: BlockHashes.hash(header: proposal.header), members: members)
    } catch { throw .invalidBlock("certificate: \(error)") }
    return TBlock(
      header: proposal.header, proposerSignature: proposal.signature, entries: proposal.entries,
      decision: tally.decision.bytes, certificate: certificate)
  }

  /// A committed block, verified.
  public struct VerifiedBlock: Sendable, Hashable {
    public var header: VerifiedHeader
    public var tally: CommitCertificates.Tally
    public var decision: BitVector
  }

  /// Verifies a committed block completely: the proposal checks of `verifyProposal`, the commit
  /// certificate against `members`, and the decision bits against the decision recomputed from it.
  public static func verify(
    _ block: TBlock, parameters: ChainParameters, members: ShardMemberSet, parent: Parent?
  ) throws(LedgerError) -> VerifiedBlock {
    let verified = try verifyProposal(
      header: block.header, signature: block.proposerSignature, entries: block.entries,
      parameters: parameters,
      members: members, parent: parent)
    let tally: CommitCertificates.Tally
    do {
      tally = try CommitCertificates.tally(
        block.certificate ?? CommitCertificate(), header: verified.header, blockHash: verified.hash,
        members: members)
    } catch { throw .invalidBlock("certificate: \(error)") }
    guard let decision = BitVector(bytes: block.decision, count: block.entries.count) else {
      throw .invalidBlock("the decision has \(block.decision.count) bytes for \(block.entries.count) entries")
    }
    guard decision == tally.decision else {
      throw .invalidBlock(
        "the decision bits \(decision) differ from the decision the votes carry, \(tally.decision)")
    }
    return VerifiedBlock(header: verified, tally: tally, decision: decision)
  }
}
