import ChainCrypto
import Foundation
import Wire

/// Answers whether this node holds every chunk of a blob. Only a member's vote depends on it (a
/// record's or image's entry is valid only if the voter holds its content); block application never
/// asks. `BlobStore` conforms; the simulator passes nil (every blob counts as held).
public protocol ChunkAvailability: Sendable {
  /// Whether every chunk of `manifest` is stored here.
  func hasAllChunks(_ manifest: BlobManifest) -> Bool
}

/// Everything about a block that its entries are judged against, passed in as values (no I/O): the
/// chain parameters, the block's header and hash, the shard memberships that receipt proofs are
/// checked against, the RBlocks whose rewards the block credits, and the voter's chunk availability.
public struct BlockContext: Sendable {
  /// The chain parameters.
  public var parameters: ChainParameters
  /// The block's header.
  public var header: TBlockHeader
  /// SHA-256 of the header bytes.
  public var blockHash: SHA256Digest
  /// Shard memberships by epoch, for receipt proofs.
  public var membership: MembershipDirectory
  /// The RBlocks (state.rewardsHeight, header.rblock_height], in height order, whose rewards the block
  /// credits before its entries.
  public var rewardBlocks: [RBlockHeader]
  /// The voter's chunk store (validation only); nil means every blob counts as held.
  public var chunks: (any ChunkAvailability)?

  /// A context for the block with `header` (whose bytes hash to `blockHash`).
  public init(
    parameters: ChainParameters, header: TBlockHeader, blockHash: SHA256Digest,
    membership: MembershipDirectory,
    rewardBlocks: [RBlockHeader] = [], chunks: (any ChunkAvailability)? = nil
  ) {
    self.parameters = parameters
    self.header = header
    self.blockHash = blockHash
    self.membership = membership
    self.rewardBlocks = rewardBlocks
    self.chunks = chunks
  }

  /// A context for the block whose serialized header is `headerBytes`.
  public init(
    parameters: ChainParameters, headerBytes: Data, membership: MembershipDirectory,
    rewardBlocks: [RBlockHeader] = [], chunks: (any ChunkAvailability)? = nil
  ) throws {
    let header: TBlockHeader
    do { header = try TBlockHeader(serializedBytes: headerBytes) } catch {
      throw LedgerError.invalidBlock("the header is not a TBlockHeader: \(error)")
    }
    self.init(
      parameters: parameters, header: header, blockHash: SHA256.hash(headerBytes), membership: membership,
      rewardBlocks: rewardBlocks, chunks: chunks)
  }

  /// The block's shard.
  public var shard: UInt32 { header.shard }
  /// The block's height.
  public var height: UInt64 { header.height }
  /// The block's timestamp, which expiries are judged against.
  public var timestampMs: UInt64 { header.timestampMs }
  /// A reference to the block.
  public var blockRef: BlockRef { BlockRef(shard: header.shard, height: header.height, hash: blockHash.data) }
}
