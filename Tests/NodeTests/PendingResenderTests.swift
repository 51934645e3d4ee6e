import Foundation
import Testing
import Wire

@testable import Node

@Suite("Client API: undecided transactions are handed to consensus again")
struct PendingResenderTests {
  @Test("a transaction still undecided is resent, not before its interval, and leaves once committed")
  func undecidedTransactionsAreResent() async throws {
    let harness = try await APIHarness()
    try await harness.run { api in
      let admin = try await api.login("admin")
      let alice = try await api.newUser("alice", .patient, admin: admin)
      api.chain.setAutoCommit(false)
      let sent = try await admin.client.transfer(
        TransferRequest(transfer: Transfer(recipient: alice.address, amount: 3)), metadata: admin.metadata)
      let resender = PendingResender(context: harness.service.context)
      let submitted = api.chain.submittedCount
      #expect(await resender.resendDue() == 0, "submitted just now: not due for 3 s")
      #expect(await resender.resendDue(intervalMs: 0) == 1)
      #expect(api.chain.submittedCount == submitted + 1)
      _ = try api.chain.commitPending()
      #expect(await resender.resendDue(intervalMs: 0) == 0, "committed: nothing to resend")
      #expect(!harness.service.context.pending.isPending(sent.txID, nowMs: harness.service.context.nowMs))
      let status = try await admin.client.getTransaction(
        GetTransactionRequest(txID: sent.txID), metadata: admin.metadata)
      #expect(status.state == .shardCommitted || status.state == .final)
    }
  }
}
