import ChainCrypto
import Foundation
import Wire

@testable import Consensus

/// A small network for tests: simulated keys, a genesis with short timeouts, and helpers to build what
/// validators sign.
struct TestNetwork {
  let signers: [SimulatedSigner]
  let scheme: SimulatedSignatureScheme
  let genesis: Genesis
  let params: ConsensusParameters
  let validators: ValidatorSet

  init(validators n: Int, shards k: UInt32 = 1, epochLength: UInt32 = 10, seed: UInt64 = 7) {
    signers = (0..<n).map { SimulatedSigner(seed: seed, index: $0) }
    scheme = SimulatedSignatureScheme(signers: signers)
    var consensus = ConsensusParams()
    consensus.shardCount = k
    consensus.epochLength = epochLength
    consensus.rblockIntervalMs = 1_000
    consensus.electionTimeoutMs = 600
    consensus.voteWindowMs = 100
    consensus.batchTimeoutMs = 20
    genesis = Genesis(
      chainID: "sehc-test", params: consensus,
      validators: signers.enumerated().map { GenesisValidator(name: "v\($0.offset)", publicKey: $0.element.publicKey) })
    params = ConsensusParameters(genesis: genesis)
    validators = ValidatorSet(genesis: genesis, initial: params.reputation.initial)
  }

  var addresses: [Address] { signers.map(\.address) }

  func signer(_ address: Address) -> SimulatedSigner { signers.first { $0.address == address }! }

  /// A proof context where every shard of every epoch has `members` (or the given lookup).
  func proofContext(members: @escaping @Sendable (UInt32, UInt64) -> [Address]?) -> ProofContext {
    ProofContext(
      chainID: params.chainID, shardCount: params.shardCount, validators: validators, scheme: scheme, members: members)
  }

  /// A transfer entry (serialized TBlockEntry) from an account of `shard`.
  func transferEntry(nonce: UInt64, shard: UInt32 = 0, recipient: Data? = nil) -> (entry: Data, tx: SignedTransaction) {
    var index: UInt64 = nonce
    var sender = Data()
    repeat {
      sender = SHA256.hash(Data("account-\(index)".utf8)).data.prefix(20)
      index += 1_000
    } while AccountShard.shard(of: sender, shardCount: params.shardCount) != shard
    var body = TransactionBody(chainID: params.chainID, sender: Data(sender), nonce: nonce)
    body.payload = .transfer(Transfer(recipient: recipient ?? Data(repeating: 9, count: 20), amount: 1))
    let tx = SignedTransaction(body: try! body.serializedData())
    return (try! TBlockEntry(entry: .transaction(tx)).serializedData(), tx)
  }
}

/// One shard's TChain as the tests drive it: members in leader order, replicas, and signed messages of
/// any member.
struct ShardKit {
  let net: TestNetwork
  let members: [Address]
  let epoch: UInt64
  let shard: UInt32
  let genesisRoot = Data(repeating: 0xAA, count: 32)

  init(net: TestNetwork, members: [Address]? = nil, epoch: UInt64 = 0, shard: UInt32 = 0) {
    self.net = net
    self.members = members ?? net.addresses
    self.epoch = epoch
    self.shard = shard
  }

  var m: Int { members.count }

  func context(for member: Address, mutations: ProtocolMutations = .none) -> TChainContext {
    let members = self.members
    return TChainContext(
      params: net.params, shard: 0, epoch: epoch, members: members, signer: net.signer(member),
      proof: net.proofContext { _, _ in members }, diagnostics: true, mutations: mutations)
  }

  var genesisHead: ChainHead { ChainHead(ledger: LedgerHead(shard: 0, block: nil, stateRoot: genesisRoot)) }

  func replica(_ index: Int, head: ChainHead? = nil, hard: TChainHardState? = nil, mutations: ProtocolMutations = .none)
    -> TChainReplica
  {
    TChainReplica(context: context(for: members[index], mutations: mutations), head: head ?? genesisHead, hard: hard, now: 0)
  }

  func leader(of view: UInt64) -> Address { members[Int(view % UInt64(m))] }

  /// A proposal signed by `signer` (the leader of `view` by default).
  func proposal(
    view: UInt64 = 0, height: UInt64 = 1, previousHash: Data = Bytes.zeroHash, stateRoot: Data? = nil,
    entries: [Data], timestamp: UInt64 = 10, signer: Address? = nil, proposer: Address? = nil
  ) -> Proposal {
    let header = TBlockHeader(
      chainID: net.params.chainID, shard: shard, epoch: epoch, view: view, height: height, previousHash: previousHash,
      entriesRoot: MerkleTree.root(leaves: entries).data, entryCount: UInt32(entries.count), timestampMs: timestamp,
      proposer: (proposer ?? leader(of: view)).rawRepresentation, parentStateRoot: stateRoot ?? genesisRoot,
      rblockHeight: 0)
    let bytes = try! header.serializedData()
    let key = net.signer(signer ?? leader(of: view))
    return Proposal(header: bytes, signature: key.wireSignature(domain: .tblock, message: bytes), entries: entries)
  }

  func hash(_ proposal: Proposal) -> Data { SHA256.hash(proposal.header).data }

  func header(_ proposal: Proposal) -> TBlockHeader { try! TBlockHeader(serializedBytes: proposal.header) }

  /// A vote by member `index` on `proposal` (view of the header unless given).
  func vote(_ index: Int, on proposal: Proposal, bits: [Bool], view: UInt64? = nil, domain: SigningDomain = .vote) -> Vote {
    let h = header(proposal)
    let body = VoteBody(
      chainID: net.params.chainID, shard: shard, epoch: epoch, view: view ?? h.view, height: h.height,
      blockHash: hash(proposal), valid: Bitmap.encode(bits), voter: members[index].rawRepresentation)
    let bytes = try! body.serializedData()
    return Vote(body: bytes, signature: net.signer(members[index]).wireSignature(domain: domain, message: bytes))
  }

  /// A Commit of `proposal` in `view` with `votes`, endorsed by the leader of `view`.
  func commit(
    _ proposal: Proposal, votes: [Vote], view: UInt64? = nil, decision: [Bool]? = nil, includeProposal: Bool = false
  ) -> Commit {
    let h = header(proposal)
    let commitView = view ?? h.view
    var counts = [Int](repeating: 0, count: proposal.entries.count)
    for vote in votes {
      let body = try! VoteBody(serializedBytes: vote.body)
      for (i, bit) in Bitmap.decode(body.valid, count: counts.count)!.enumerated() where bit { counts[i] += 1 }
    }
    let bits = Bitmap.encode(decision ?? counts.map { 2 * $0 > m })
    let leader = leader(of: commitView)
    let endorsementBody = VoteBody(
      chainID: net.params.chainID, shard: shard, epoch: epoch, view: commitView, height: h.height, blockHash: hash(proposal),
      valid: bits, voter: leader.rawRepresentation)
    let endorsementBytes = try! endorsementBody.serializedData()
    let sorted = votes.sorted {
      try! VoteBody(serializedBytes: $0.body).voter.lexicographicallyPrecedes(try! VoteBody(serializedBytes: $1.body).voter)
    }
    return Commit(
      shard: shard, height: h.height, blockHash: hash(proposal), decision: bits, certificate: CommitCertificate(votes: sorted),
      epoch: epoch, view: commitView, proposal: includeProposal ? proposal : nil,
      endorsement: Vote(
        body: endorsementBytes,
        signature: net.signer(leader).wireSignature(domain: .decision, message: endorsementBytes)))
  }

  /// Member `index`'s signed ack of `commit`.
  func ack(_ index: Int, of commit: Commit) -> CommitAck {
    let body = CommitProofCheck.ackBody(
      chainID: net.params.chainID, shard: shard, epoch: epoch, view: commit.view, height: commit.height,
      blockHash: commit.blockHash, decision: commit.decision, voter: members[index])
    let bytes = try! body.serializedData()
    return CommitAck(
      shard: shard, epoch: epoch, view: commit.view, height: commit.height, blockHash: commit.blockHash,
      ack: Vote(body: bytes, signature: net.signer(members[index]).wireSignature(domain: .ack, message: bytes)))
  }

  /// A commit proof of `commit` by members `indices`.
  func proof(of commit: Commit, by indices: [Int]) -> CommitCertificate {
    let acks = indices.map { ack($0, of: commit).ack! }
    return CommitCertificate(
      votes: acks.sorted {
        try! VoteBody(serializedBytes: $0.body).voter.lexicographicallyPrecedes(try! VoteBody(serializedBytes: $1.body).voter)
      })
  }

  /// Member `index`'s view change to `view`.
  func viewChange(
    _ index: Int, to view: UInt64, committedHeight: UInt64 = 0, committedHash: Data = Bytes.zeroHash,
    committedProof: CommitCertificate? = nil, accepted: Commit? = nil
  ) -> ViewChange {
    var body = ViewChangeBody(
      chainID: net.params.chainID, shard: shard, epoch: epoch, view: view, sender: members[index].rawRepresentation,
      committedHeight: committedHeight, committedHash: committedHash)
    if let accepted {
      body.acceptedHeight = accepted.height
      body.acceptedView = accepted.view
      body.acceptedHash = accepted.blockHash
    }
    let bytes = try! body.serializedData()
    return ViewChange(
      body: bytes, signature: net.signer(members[index]).wireSignature(domain: .viewChange, message: bytes),
      accepted: accepted, committedProof: committedProof)
  }
}

extension Ready {
  /// The bodies of the messages, with their receivers.
  var bodies: [(body: ConsensusMessage.Body, to: [Address])] {
    messages.compactMap { message in message.message.body.map { ($0, message.to) } }
  }

  var votes: [Vote] { bodies.compactMap { if case .vote(let v) = $0.body { v } else { nil } } }
  var commits: [Commit] { bodies.compactMap { if case .commit(let c) = $0.body { c } else { nil } } }
  var commitAcks: [CommitAck] { bodies.compactMap { if case .commitAck(let a) = $0.body { a } else { nil } } }
  var proposals: [Proposal] { bodies.compactMap { if case .proposal(let p) = $0.body { p } else { nil } } }
  var viewChanges: [ViewChange] { bodies.compactMap { if case .viewChange(let v) = $0.body { v } else { nil } } }
  var newViews: [NewView] { bodies.compactMap { if case .newView(let n) = $0.body { n } else { nil } } }
  var statuses: [Status] { bodies.compactMap { if case .status(let s) = $0.body { s } else { nil } } }

  var evidenceKinds: [EvidenceKind] {
    notifications.compactMap { if case .evidence(_, let kind) = $0 { kind } else { nil } }
  }

  var ignoredReasons: [String] { notifications.compactMap { if case .ignored(let r) = $0 { r } else { nil } } }
}
