import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// TBlock building and verification, the ways a block can be tampered with, and inclusion proofs.
@Suite struct BlockTests {
  var net: TestNetwork
  let block: TBlock
  let parent: TBlocks.Parent

  init() throws {
    var net = try TestNetwork()
    let first = try net.commit(shard: 0, entries: [])
    _ = first
    parent = net.parents[0]
    let entries = (0..<7).map { index in
      TestNetwork.entry(
        net.sign(
          net.admin, .transfer(Transfer(recipient: net.hospital.address.rawRepresentation, amount: 1)),
          nonce: UInt64(index + 1)))
    }
    block = try net.commit(shard: 0, entries: entries).block
    self.net = net
  }

  func verify(_ block: TBlock, parent: TBlocks.Parent? = nil) throws -> TBlocks.VerifiedBlock {
    try TBlocks.verify(
      block, parameters: net.parameters, members: net.members(0), parent: parent ?? self.parent)
  }

  func failure(_ block: TBlock, parent: TBlocks.Parent? = nil) -> String? {
    do {
      _ = try verify(block, parent: parent)
      return nil
    } catch { return "\(error)" }
  }

  @Test func committedBlockVerifies() throws {
    let verified = try verify(block)
    #expect(verified.header.header.height == 2)
    #expect(verified.decision == BitVector(Array(repeating: true, count: 7)))
    #expect(verified.tally.voters.count == 3)
    #expect(verified.header.hash == BlockHashes.hash(header: block.header))
    let header = verified.header.header
    #expect(header.entriesRoot == MerkleTree(leaves: block.entries).root.data)
    #expect(header.parentStateRoot == parent.stateRoot)
  }

  @Test func tamperedHeaderBreaksTheProposerSignature() throws {
    var header = try TBlockHeader(serializedBytes: block.header)
    header.timestampMs += 1
    var tampered = block
    tampered.header = try header.serializedData()
    #expect(failure(tampered)?.contains("proposer's signature") == true)
  }

  @Test func tamperedEntries() {
    var tampered = block
    tampered.entries[3] = tampered.entries[4]
    #expect(failure(tampered)?.contains("entries_root") == true)
    tampered = block
    tampered.entries.removeLast()
    #expect(failure(tampered)?.contains("entry_count 7 but 6 entries") == true)
  }

  @Test func wrongLinks() throws {
    var wrong = parent
    wrong.hash = Data(count: 32)
    #expect(failure(block, parent: wrong)?.contains("previous_hash") == true)
    wrong = parent
    wrong.height = 5
    #expect(failure(block, parent: wrong)?.contains("does not follow") == true)
    wrong = parent
    wrong.stateRoot = Data(count: 32)
    #expect(failure(block, parent: wrong)?.contains("parent_state_root") == true)
    wrong = parent
    wrong.timestampMs = UInt64.max
    #expect(failure(block, parent: wrong)?.contains("before the previous block") == true)
    wrong = parent
    wrong.rblockHeight = 9
    #expect(failure(block, parent: wrong)?.contains("rblock_height") == true)
  }

  @Test func proposerMustLeadTheView() throws {
    // Member 1 signs a proposal for view 0, whose leader is member 0.
    let keys = net.memberKeys(0)
    let header = try TBlockHeader(serializedBytes: block.header)
    let proposal = try TBlocks.propose(
      TBlocks.HeaderFields(
        chainID: header.chainID, shard: 0, epoch: 0, view: 0, height: header.height,
        previousHash: header.previousHash,
        timestampMs: header.timestampMs, parentStateRoot: header.parentStateRoot),
      entries: block.entries, key: keys[1])
    #expect(throws: LedgerError.self) {
      try TBlocks.verify(proposal, parameters: net.parameters, members: net.members(0), parent: parent)
    }
    var tampered = block
    tampered.header = proposal.header
    tampered.proposerSignature = proposal.signature
    #expect(failure(tampered)?.contains("not the leader of view 0") == true)
  }

  @Test func decisionMustMatchTheVotes() {
    var tampered = block
    tampered.decision = Data([0x7e])
    #expect(failure(tampered)?.contains("differ from the decision the votes carry") == true)
    tampered.decision = Data([0x7f, 0])
    #expect(failure(tampered)?.contains("decision has 2 bytes") == true)
    tampered.decision = Data([0xff])
    #expect(failure(tampered) != nil, "a stray high bit")
  }

  @Test func certificateTampering() throws {
    var tampered = block
    tampered.certificate!.votes.removeLast(2)
    #expect(failure(tampered)?.contains("1 votes of 3 members") == true)
    tampered = block
    tampered.certificate!.votes[1].signature!.signature[9] ^= 4
    #expect(failure(tampered)?.contains("does not verify") == true)
    tampered = block
    tampered.certificate!.votes[2] = tampered.certificate!.votes[0]
    #expect(failure(tampered)?.contains("a second vote") == true)
    // A vote for another block.
    tampered = block
    var body = try VoteBody(serializedBytes: tampered.certificate!.votes[0].body)
    body.blockHash = Data(count: 32)
    let voter = net.memberKeys(0).first { $0.address.rawRepresentation == body.voter }!
    let bytes = try body.serializedData()
    tampered.certificate!.votes[0] = Vote(
      body: bytes,
      signature: Signature(
        publicKey: voter.publicKey.rawRepresentation, signature: try voter.sign(domain: .vote, message: bytes)
      ))
    #expect(failure(tampered)?.contains("is for block") == true)
    // Too few bits.
    body = try VoteBody(serializedBytes: block.certificate!.votes[0].body)
    body.valid = Data()
    let short = try body.serializedData()
    tampered.certificate!.votes[0] = Vote(
      body: short,
      signature: Signature(
        publicKey: voter.publicKey.rawRepresentation, signature: try voter.sign(domain: .vote, message: short)
      ))
    #expect(failure(tampered)?.contains("bytes of bits for 7 entries") == true)
  }

  @Test func aVoteSignedInAnotherDomainIsRefused() throws {
    var tampered = block
    let vote = tampered.certificate!.votes[0]
    let body = try VoteBody(serializedBytes: vote.body)
    let voter = net.memberKeys(0).first { $0.address.rawRepresentation == body.voter }!
    tampered.certificate!.votes[0].signature!.signature = try voter.sign(domain: .tblock, message: vote.body)
    #expect(failure(tampered)?.contains("does not verify") == true)
  }

  @Test func certificateAgainstTheWrongMembers() {
    #expect(throws: LedgerError.self) {
      try TBlocks.verify(block, parameters: net.parameters, members: net.members(1), parent: parent)
    }
  }

  @Test func limits() throws {
    var parameters = net.parameters
    parameters.maxBlockEntries = 3
    #expect(throws: LedgerError.self) {
      try TBlocks.verify(block, parameters: parameters, members: net.members(0), parent: parent)
    }
    parameters = net.parameters
    parameters.maxBlockBytes = 100
    #expect(throws: LedgerError.self) {
      try TBlocks.verify(block, parameters: parameters, members: net.members(0), parent: parent)
    }
  }

  // MARK: - Inclusion proofs

  @Test func everyEntryHasAProofCheckableWithTheHeaderAlone() throws {
    for index in block.entries.indices {
      let proof = try InclusionProofs.proof(entries: block.entries, index: index)
      // What a client holds: the entry, the proof and the header bytes (and maybe a trusted hash).
      let header = try InclusionProofs.verify(
        entry: block.entries[index], proof: proof, header: block.header,
        expectedHash: BlockHashes.hash(header: block.header))
      #expect(header.height == 2)
    }
  }

  @Test func inclusionProofRefusals() throws {
    let proof = try InclusionProofs.proof(entries: block.entries, index: 3)
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(entry: block.entries[4], proof: proof, header: block.header)
    }
    var moved = proof
    moved.leafIndex = 2
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(entry: block.entries[3], proof: moved, header: block.header)
    }
    var resized = proof
    resized.treeSize = 8
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(entry: block.entries[3], proof: resized, header: block.header)
    }
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(
        entry: block.entries[3], proof: proof, header: block.header, expectedHash: SHA256.hash(Data("x".utf8))
      )
    }
    let other = net.blocks[0][0]
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(entry: block.entries[3], proof: proof, header: other.header)
    }
    var shortPath = proof
    shortPath.path.removeLast()
    #expect(throws: InclusionProofs.Failure.self) {
      try InclusionProofs.verify(entry: block.entries[3], proof: shortPath, header: block.header)
    }
  }

  @Test func proofRoundTripsThroughTheWire() throws {
    let proof = try InclusionProofs.proof(entries: block.entries, index: 6)
    let decoded = try MerkleProof(serializedBytes: try proof.serializedData())
    #expect(decoded == proof)
    #expect(
      decoded.inclusionProof?.verify(
        leaf: block.entries[6],
        root: try SHA256Digest(data: TBlockHeader(serializedBytes: block.header).entriesRoot)) == true)
  }

  @Test func bitVectorOrder() {
    var bits = BitVector(count: 10)
    bits[0] = true
    bits[9] = true
    #expect(bits.bytes == Data([0x01, 0x02]))
    #expect(BitVector(bytes: Data([0x01, 0x04]), count: 10) == nil, "bit 10 is unused")
    #expect(BitVector(bytes: Data([0x01]), count: 10) == nil)
    #expect(bits.popCount == 2)
  }
}
