import ChainCrypto
import Consensus
import Foundation
import Wire

/// The clients of a simulated run: their accounts, the transactions they made and submitted, and what
/// honest validators were seen deciding about them.
struct WorkloadState {
  /// A transaction a client made: submitted at once, or (a record or image) once a majority of its
  /// patient's shard holds the content.
  struct Made {
    let transaction: SignedTransaction
    let id: Data
    let kind: LoadKind
    let home: UInt32
    let target: UInt32
    let amount: UInt64
    /// The size of a record's or image's content in bytes; 0 for other kinds.
    let contentBytes: UInt64
    let createdAt: UInt64
  }

  struct Submitted {
    let made: Made
    /// When it was first submitted (after the upload, for content).
    let time: UInt64

    var transaction: SignedTransaction { made.transaction }
    var kind: LoadKind { made.kind }
    var home: UInt32 { made.home }
    var target: UInt32 { made.target }
    var amount: UInt64 { made.amount }
  }

  struct Decision {
    let time: UInt64
    let accepted: Bool
    let height: UInt64
  }

  let accounts: [Data]
  let closed: Set<Data>
  let initialBalance: UInt64
  private(set) var submitted: [Data: Submitted] = [:]
  private(set) var order: [Data] = []
  /// Transactions made, submitted or still uploading.
  private(set) var made = 0
  /// Records and images whose content is being replicated, by transaction id.
  var uploads: [Data: Made] = [:]
  /// Home-shard decisions by tx id (first seen).
  private(set) var homeDecided: [Data: Decision] = [:]
  /// Receipt decisions by kind byte || tx id (first seen).
  private(set) var receiptDecided: [Data: Decision] = [:]
  private(set) var finalUpTo: [UInt32: UInt64] = [:]
  var rblockHeight: UInt64 = 0
  private var nonce: UInt64 = 0

  init(scenario: Scenario, seed: UInt64) {
    accounts = (0..<scenario.workload.accounts).map { index in
      SHA256.hash([
        Data("sehc/sim/account".utf8), withUnsafeBytes(of: seed.bigEndian) { Data($0) },
        withUnsafeBytes(of: UInt64(index).bigEndian) { Data($0) },
      ]).data.prefix(20)
    }.map { Data($0) }
    closed = Set(accounts.prefix(scenario.workload.closedAccounts))
    initialBalance = scenario.workload.initialBalance
  }

  /// The initial state of `shard`: the accounts living there with their initial balance.
  func genesisState(shard: UInt32, rules: ToyRules) -> ToyState {
    var state = ToyState()
    for account in accounts where rules.shard(of: account) == shard {
      state.setBalance(account, initialBalance)
    }
    return state
  }

  /// A new transaction of `kind` from a random open account to a random other account (any account
  /// may act as author, patient or grantee: the toy application has no roles).
  mutating func make(
    _ kind: LoadKind, random: inout SeededRandom, rules: ToyRules, workload: Workload, now: UInt64
  ) -> Made {
    let open = accounts.filter { !closed.contains($0) }
    let sender = open[Int(random.below(UInt64(open.count)))]
    var counterparty = sender
    while counterparty == sender { counterparty = accounts[Int(random.below(UInt64(accounts.count)))] }
    nonce += 1
    made += 1
    var body = TransactionBody(chainID: rules.chainID, sender: sender, nonce: nonce, createdAtMs: now)
    var amount: UInt64 = 0
    var contentBytes: UInt64 = 0
    switch kind {
    case .transfer:
      amount = random.inRange(1...workload.maxAmount)
      body.payload = .transfer(Transfer(recipient: counterparty, amount: amount))
    case .record:
      contentBytes = random.inRange(1_024...64 * 1_024)
      body.payload = .putRecord(
        PutRecord(
          patient: counterparty, kind: "lab-report", mediaType: "application/json",
          content: Self.manifest(bytes: contentBytes, seed: nonce)))
    case .image:
      contentBytes = random.inRange(1...max(1, workload.imageMaxMiB)) << 20
      body.payload = .putImageManifest(
        PutImageManifest(
          patient: counterparty, kind: "covid19-ct", mediaType: "application/dicom",
          content: Self.manifest(bytes: contentBytes, seed: nonce), modality: "CT"))
    case .grant:
      body.payload = .grantAccess(GrantAccess(grantee: counterparty))
    }
    let transaction = SignedTransaction(body: try! body.serializedData())
    return Made(
      transaction: transaction, id: SHA256.hash(transaction.body).data, kind: kind,
      home: rules.shard(of: sender), target: rules.shard(of: counterparty), amount: amount,
      contentBytes: contentBytes, createdAt: now)
  }

  /// A manifest of `bytes` in 1 MiB chunks whose hashes stand for content the simulation does not
  /// hold (only its size travels over the simulated links).
  static func manifest(bytes: UInt64, seed: UInt64) -> BlobManifest {
    let chunkSize: UInt64 = 1 << 20
    let chunks = (bytes + chunkSize - 1) / chunkSize
    let hashes = (0..<chunks).map {
      SHA256.hash([withUnsafeBytes(of: (seed << 16 | $0).bigEndian) { Data($0) }]).data
    }
    let root = SHA256.hash(hashes).data
    return BlobManifest(
      totalSize: bytes, chunkSize: UInt32(chunkSize), chunkHashes: hashes, merkleRoot: root, contentHash: root
    )
  }

  /// `made` goes to the validators now.
  mutating func submitted(_ made: Made, at time: UInt64) {
    submitted[made.id] = Submitted(made: made, time: time)
    order.append(made.id)
  }

  /// What an honest validator's committed block decided.
  mutating func observe(_ request: ApplyRequest, at time: UInt64) {
    for (index, entry) in request.entries.enumerated() {
      switch entry.entry?.entry {
      case .transaction(let tx):
        let id = SHA256.hash(tx.body).data
        if homeDecided[id] == nil {
          homeDecided[id] = Decision(
            time: time, accepted: request.accepted[index], height: request.header.height)
        }
      case .receipt(let receipt):
        let key = WorkloadState.decisionKey(receipt.kind, receipt.txID, shard: request.shard)
        // Decided: accepted, or rejected by a majority (a rejection for missing votes leaves it pending).
        if receiptDecided[key] == nil && (request.accepted[index] || request.rejectedByMajority[index]) {
          receiptDecided[key] = Decision(
            time: time, accepted: request.accepted[index], height: request.header.height)
        }
      case nil:
        break
      }
    }
  }

  /// The key of a receipt decision by `shard` (misaddressed copies decided elsewhere do not count).
  static func decisionKey(_ kind: ReceiptKind, _ txID: Data, shard: UInt32) -> Data {
    ToyRules.receiptKey(kind, txID) + withUnsafeBytes(of: shard.bigEndian) { Data($0) }
  }

  mutating func finalized(shard: UInt32, upTo height: UInt64) {
    finalUpTo[shard] = max(finalUpTo[shard] ?? 0, height)
  }
}
