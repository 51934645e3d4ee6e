// ledger-crash-writer: writes TBlocks to a ledger database in a loop, for the crash test
// (Tests/LedgerTests/CrashTests.swift), which kills it with SIGKILL at random points.
//
//   ledger-crash-writer <database> <genesis.binpb> <seed>
//
// The genesis (written by the test) has one shard; validator i's key is SHA-256("crash-validator-i")
// and participant i's is SHA-256("crash-participant-i"). Every block holds 40 transfers between the
// participants (amounts from the seed) and is proposed, voted by every member, certified, verified,
// applied and stored exactly as a node would; a consensus record is saved before each block. After a
// block's commit returns, the writer prints "committed <height> <hash hex> <state root hex>" and
// writes it unbuffered: those are the blocks the test requires to survive.
import ChainCrypto
import Foundation
import Ledger
import Wire

func key(_ name: String) -> Ed25519.PrivateKey {
  try! Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Data(name.utf8)).data)
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("ledger-crash-writer: \(message)\n".utf8))
  exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let seedValue = UInt64(arguments[3]) else {
  fail("usage: ledger-crash-writer <database> <genesis.binpb> <seed>")
}
let genesis: Genesis
do { genesis = try Genesis(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: arguments[2]))) } catch
{
  fail("cannot read the genesis: \(error)")
}

do {
  let parameters = try ChainParameters(genesis: genesis)
  let validators = (0..<genesis.validators.count).map { key("crash-validator-\($0)") }
  let participants = (0..<genesis.participants.count).map { key("crash-participant-\($0)") }
  let members = validators.map(\.address)
  let membership = try MembershipDirectory(
    validators: genesis.validators,
    assignments: [
      ShardAssignment(epoch: 0, shards: [ShardMembers(shard: 0, members: members.map(\.rawRepresentation))])
    ])
  let memberSet = membership.members(shard: 0, epoch: 0)!

  let store = try LedgerStore(path: arguments[1])
  try store.initialize(genesis: genesis, shards: [0])
  let ledger = try ShardLedger(store: store, shard: 0)
  var random = seedValue &* 0x9E37_79B9_7F4A_7C15 | 1
  func next() -> UInt64 {
    random ^= random << 13
    random ^= random >> 7
    random ^= random << 17
    return random
  }

  while true {
    let head = try ledger.head()
    let state = ledger.state
    var nonces: [Address: UInt64] = [:]
    var entries: [Data] = []
    for _ in 0..<40 {
      let from = participants[Int(next() % UInt64(participants.count))]
      var to = participants[Int(next() % UInt64(participants.count))]
      if to.address == from.address {
        to = participants[(participants.firstIndex { $0.address == from.address }! + 1) % participants.count]
      }
      let committed = try state.account(from.address.rawRepresentation)?.nonce ?? 0
      let nonce = nonces[from.address] ?? committed + 1
      nonces[from.address] = nonce + 1
      let body = TransactionBody(
        chainID: parameters.chainID, sender: from.address.rawRepresentation, nonce: nonce,
        createdAtMs: head.height,
        payload: .transfer(Transfer(recipient: to.address.rawRepresentation, amount: 1 + next() % 5)))
      let bytes = try body.serializedData()
      let signed = SignedTransaction(
        body: bytes,
        signatures: [
          Signature(
            publicKey: from.publicKey.rawRepresentation,
            signature: try from.sign(domain: .transaction, message: bytes))
        ])
      entries.append(try TBlockEntry(entry: .transaction(signed)).serializedData())
    }
    let proposal = try TBlocks.propose(
      TBlocks.HeaderFields(
        chainID: parameters.chainID, shard: 0, epoch: 0, view: 0, height: head.height + 1,
        previousHash: head.hash,
        timestampMs: genesis.genesisTimeMs + head.height + 1, parentStateRoot: head.stateRoot),
      entries: entries, key: validators[0])
    let verified = try TBlocks.verify(
      proposal, parameters: parameters, members: memberSet, parent: head.parent)
    let context = BlockContext(
      parameters: parameters, header: verified.header, blockHash: verified.hash, membership: membership)
    let prepared = LedgerExecutor.prepare(entries: entries, context: context)
    let verdicts = try LedgerExecutor.validate(prepared, context: context, state: state)
    // The member persists the proposal and its vote before sending the vote.
    let votes = try validators.map {
      try Votes.make(
        header: verified.header, blockHash: verified.hash, valid: verdicts.map(\.isValid), key: $0)
    }
    try store.saveConsensusRecord(key: "tchain/0/vote", value: try votes[0].serializedData())
    let block = try TBlocks.assemble(
      proposal, certificate: CommitCertificates.make(votes), members: memberSet)
    let outcome = try ledger.commit(block, context: context, prepared: prepared)
    // An unbuffered write(2): the line is out before the next block starts.
    FileHandle.standardOutput.write(
      Data("committed \(head.height + 1) \(verified.hash.hex) \(outcome.stateRoot.hex)\n".utf8))
  }
} catch {
  fail("\(error)")
}
