import ChainCrypto
import Foundation
import Wire

/// What a TChain replica knows and never changes during its epoch: the shard, its members in leader
/// order, this validator's key, the parameters and how to check proofs.
struct TChainContext: Sendable {
  let params: ConsensusParameters
  let shard: UInt32
  let epoch: UInt64
  /// The members in leader order.
  let members: [Address]
  let memberSet: Set<Address>
  let me: Address
  let signer: any MessageSigner
  let proof: ProofContext
  let diagnostics: Bool
  let mutations: ProtocolMutations
  /// Where the epoch's chain starts: the last block of the previous epoch, covered by the RBlock that
  /// ended it (height 0 and 32 zero bytes in epoch 0). Committed claims up to it need no proof.
  let anchor: (height: UInt64, hash: Data)

  init(
    params: ConsensusParameters, shard: UInt32, epoch: UInt64, members: [Address], signer: any MessageSigner,
    proof: ProofContext, diagnostics: Bool, mutations: ProtocolMutations = .none,
    anchor: (height: UInt64, hash: Data) = (0, Bytes.zeroHash)
  ) {
    self.mutations = mutations
    self.anchor = anchor
    self.params = params
    self.shard = shard
    self.epoch = epoch
    self.members = members
    self.memberSet = Set(members)
    self.me = signer.address
    self.signer = signer
    self.proof = proof
    self.diagnostics = diagnostics
  }

  /// m: the number of members.
  var m: Int { members.count }

  /// maj(m).
  var majority: Int { Quorum.majority(m) }

  /// The leader of `view`: `order[view mod m]` (§2.2).
  func leader(of view: UInt64) -> Address { members[Int(view % UInt64(m))] }

  /// The members other than this validator.
  var others: [Address] { members.filter { $0 != me } }

  func publicKey(_ address: Address) -> Data? { proof.publicKey(address) }

  /// The subject of votes on a block.
  func voteSubject(view: UInt64, height: UInt64, blockHash: Data, entryCount: Int) -> VoteSubject {
    VoteSubject(
      chainID: params.chainID, shard: shard, epoch: epoch, view: view, height: height, blockHash: blockHash,
      entryCount: entryCount)
  }
}

/// The committed head of a replica's chain.
struct ChainHead: Sendable, Hashable {
  /// Height of the last committed block (0 before the first).
  var height: UInt64
  /// Its hash (32 zero bytes at height 0).
  var hash: Data
  /// The state root after it, once applied (nil while the ledger applies it).
  var stateRoot: Data?
  /// Its header's timestamp.
  var timestampMs: UInt64
  /// Its header's RBlock height.
  var rblockHeight: UInt64
  /// Its header's epoch and view (for leader timeouts), nil at height 0.
  var epochAndView: EpochView?
  /// Whether it is an empty block: the block that closes its epoch (§5).
  var closesEpoch: Bool

  struct EpochView: Sendable, Hashable, Codable {
    var epoch: UInt64
    var view: UInt64
  }

  /// The head of a ledger.
  init(ledger: LedgerHead) {
    stateRoot = ledger.stateRoot
    if let block = ledger.block, let header = try? TBlockHeader(serializedBytes: block.header) {
      height = header.height
      hash = SHA256.hash(block.header).data
      timestampMs = header.timestampMs
      rblockHeight = header.rblockHeight
      epochAndView = EpochView(epoch: header.epoch, view: header.view)
      closesEpoch = header.entryCount == 0
    } else {
      height = 0
      hash = Bytes.zeroHash
      timestampMs = 0
      rblockHeight = 0
      epochAndView = nil
      closesEpoch = false
    }
  }

  /// The head after committing `header` (state root unknown until applied).
  init(committing header: TBlockHeader, hash: Data) {
    height = header.height
    self.hash = hash
    stateRoot = nil
    timestampMs = header.timestampMs
    rblockHeight = header.rblockHeight
    epochAndView = EpochView(epoch: header.epoch, view: header.view)
    closesEpoch = header.entryCount == 0
  }
}

/// A block this replica holds for its next height: a proposal whose header it checked.
struct HeldBlock: Sendable {
  let proposal: Proposal
  let header: TBlockHeader
  let hash: Data
  let entries: [CheckedEntry]
}
