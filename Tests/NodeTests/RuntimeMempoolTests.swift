import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Node

@Suite("NodeRuntime: mempool admission")
struct RuntimeMempoolTests {
  private func limits(transactions: Int = 10, bytes: Int = 1 << 20, perSender: Int = 10) -> MempoolConfig {
    var limits = MempoolConfig()
    limits.maxTransactions = transactions
    limits.maxBytes = bytes
    limits.maxPerSender = perSender
    return limits
  }

  private func id(_ n: Int) -> Data { Data(repeating: UInt8(n), count: 32) }
  private let alice = Data(repeating: 0xA1, count: 20)
  private let bob = Data(repeating: 0xB0, count: 20)

  @Test("a transaction already pending is a duplicate, and counts once")
  func duplicates() throws {
    var pool = Mempool(limits: limits())
    #expect(try pool.admit(id: id(1), sender: alice, bytes: 100, now: 0) == .admitted)
    #expect(try pool.admit(id: id(1), sender: alice, bytes: 100, now: 1) == .duplicate)
    #expect(pool.count == 1 && pool.totalBytes == 100)
  }

  @Test("each bound refuses with RESOURCE_EXHAUSTED's error, naming the bound")
  func bounds() throws {
    var byCount = Mempool(limits: limits(transactions: 2))
    _ = try byCount.admit(id: id(1), sender: alice, bytes: 10, now: 0)
    _ = try byCount.admit(id: id(2), sender: bob, bytes: 10, now: 0)
    #expect(
      throws: ChainBackendError.overloaded("the mempool holds its limit of 2 transactions; retry later")
    ) {
      try byCount.admit(id: id(3), sender: bob, bytes: 10, now: 0)
    }
    var byBytes = Mempool(limits: limits(bytes: 100))
    _ = try byBytes.admit(id: id(1), sender: alice, bytes: 60, now: 0)
    #expect(throws: ChainBackendError.overloaded("the mempool holds its limit of 100 bytes; retry later")) {
      try byBytes.admit(id: id(2), sender: bob, bytes: 60, now: 0)
    }
    var bySender = Mempool(limits: limits(perSender: 1))
    _ = try bySender.admit(id: id(1), sender: alice, bytes: 10, now: 0)
    #expect(throws: ChainBackendError.self) {
      try bySender.admit(id: id(2), sender: alice, bytes: 10, now: 0)
    }
    #expect(try bySender.admit(id: id(3), sender: bob, bytes: 10, now: 0) == .admitted)
  }

  @Test("applied transactions and expired ones leave, freeing their room")
  func leaving() throws {
    var pool = Mempool(limits: limits(transactions: 1), lifetimeMs: 1000)
    _ = try pool.admit(id: id(1), sender: alice, bytes: 10, now: 0)
    pool.remove([id(1)])
    #expect(pool.count == 0 && pool.totalBytes == 0)
    _ = try pool.admit(id: id(2), sender: alice, bytes: 10, now: 0)
    #expect(throws: ChainBackendError.self) { try pool.admit(id: id(3), sender: bob, bytes: 10, now: 500) }
    #expect(try pool.admit(id: id(3), sender: bob, bytes: 10, now: 2001) == .admitted)
    #expect(pool.count == 1)
  }

  @Test(
    "a runtime refuses a transaction with a bad signature as invalid, and one while stopped as unavailable")
  func submissions() async throws {
    let cluster = try RuntimeCluster()
    let runtime = try NodeRuntime(configuration: try cluster.configuration(0))
    var transaction = try cluster.transfer(
      from: cluster.accounts[0], to: cluster.accounts[1].publicKey.address, amount: 1, nonce: 1)
    let valid = transaction
    transaction.signatures[0].signature[0] ^= 1
    let forged = transaction
    let invalid = await #expect(throws: ChainBackendError.self) { try await runtime.submit(forged) }
    guard case .invalid(let reason)? = invalid else {
      Issue.record("expected .invalid, got \(String(describing: invalid))")
      return
    }
    #expect(reason.contains("signature"), "\(reason)")
    await #expect(throws: ChainBackendError.unavailable("the node is not running")) {
      try await runtime.submit(valid)
    }
  }
}
