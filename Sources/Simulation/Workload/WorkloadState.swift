import ChainCrypto
import Consensus
import Foundation
import Wire

/// The clients of a simulated run: their accounts, the transfers they submitted, and what honest
/// validators were seen deciding about them.
struct WorkloadState {
  struct Submitted {
    let transaction: SignedTransaction
    let time: UInt64
    let home: UInt32
    let target: UInt32
    let amount: UInt64
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
  /// Home-shard decisions by tx id (first seen).
  private(set) var homeDecided: [Data: Decision] = [:]
  /// Receipt decisions by kind byte || tx id (first seen).
  private(set) var receiptDecided: [Data: Decision] = [:]
  private(set) var finalUpTo: [UInt32: UInt64] = [:]
  var rblockHeight: UInt64 = 0
  private var nonce: UInt64 = 0

  init(scenario: Scenario, seed: UInt64) {
    accounts = (0..<scenario.workload.accounts).map { index in
      SHA256.hash([Data("sehc/sim/account".utf8), withUnsafeBytes(of: seed.bigEndian) { Data($0) },
        withUnsafeBytes(of: UInt64(index).bigEndian) { Data($0) }]).data.prefix(20)
    }.map { Data($0) }
    closed = Set(accounts.prefix(scenario.workload.closedAccounts))
    initialBalance = scenario.workload.initialBalance
  }

  /// The initial state of `shard`: the accounts living there with their initial balance.
  func genesisState(shard: UInt32, rules: ToyRules) -> ToyState {
    var state = ToyState()
    for account in accounts where rules.shard(of: account) == shard { state.setBalance(account, initialBalance) }
    return state
  }

  /// A new transfer.
  mutating func makeTransfer(random: inout SeededRandom, rules: ToyRules, maxAmount: UInt64, now: UInt64) -> SignedTransaction {
    let open = accounts.filter { !closed.contains($0) }
    let sender = open[Int(random.below(UInt64(open.count)))]
    var recipient = sender
    while recipient == sender { recipient = accounts[Int(random.below(UInt64(accounts.count)))] }
    nonce += 1
    let amount = random.inRange(1...maxAmount)
    var body = TransactionBody(chainID: rules.chainID, sender: sender, nonce: nonce, createdAtMs: now)
    body.payload = .transfer(Transfer(recipient: recipient, amount: amount))
    let transaction = SignedTransaction(body: try! body.serializedData())
    let id = SHA256.hash(transaction.body).data
    submitted[id] = Submitted(
      transaction: transaction, time: now, home: rules.shard(of: sender), target: rules.shard(of: recipient),
      amount: amount)
    order.append(id)
    return transaction
  }

  /// What an honest validator's committed block decided.
  mutating func observe(_ request: ApplyRequest, at time: UInt64) {
    for (index, entry) in request.entries.enumerated() {
      switch entry.entry?.entry {
      case .transaction(let tx):
        let id = SHA256.hash(tx.body).data
        if homeDecided[id] == nil {
          homeDecided[id] = Decision(time: time, accepted: request.accepted[index], height: request.header.height)
        }
      case .receipt(let receipt):
        let key = WorkloadState.decisionKey(receipt.kind, receipt.txID, shard: request.shard)
        // Decided: accepted, or rejected by a majority (a rejection for missing votes leaves it pending).
        if receiptDecided[key] == nil && (request.accepted[index] || request.rejectedByMajority[index]) {
          receiptDecided[key] = Decision(time: time, accepted: request.accepted[index], height: request.header.height)
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
