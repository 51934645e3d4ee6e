import ChainCrypto
import Foundation
import Synchronization
import Testing

@testable import Node

@Suite("Client API: a sender's pending transactions")
struct PendingTransactionsTests {
  private let sender = try! Address(rawRepresentation: Data(repeating: 0xA1, count: 20))

  private func id(_ nonce: UInt64) -> Data { Data(repeating: UInt8(nonce), count: 32) }

  private func book(nonces: ClosedRange<UInt64>) -> PendingTransactions {
    let book = PendingTransactions(lifetimeMs: 60_000)
    for nonce in nonces {
      book.add(.init(id: id(nonce), sender: sender, nonce: nonce, entry: Data(), submittedAtMs: 0))
    }
    return book
  }

  /// A block that commits nonce 6 lands between the two kinds of read the book makes, whichever
  /// comes second: before it, nothing is decided and the committed nonce is 5; after it, nonce 6 is
  /// decided and committed.
  private final class Landing: Sendable {
    private struct State {
      var askedDecided = false
      var readNonce = false
      var landed = false
    }
    private let state = Mutex(State())

    func isDecided(_ id: Data, accepted: Data) -> Bool {
      state.withLock { s in
        s.askedDecided = true
        if s.readNonce { s.landed = true }
        return s.landed && id == accepted
      }
    }

    func committedNonce() -> UInt64 {
      state.withLock { s in
        s.readNonce = true
        if s.askedDecided { s.landed = true }
        return s.landed ? 6 : 5
      }
    }
  }

  @Test("a block applied while the book is read leaves the sender's later transactions pending")
  func aBlockLandingDuringTheReadIsNoGap() async throws {
    let book = book(nonces: 6...8)
    let landing = Landing()
    let (entries, committed) = await book.pending(
      of: sender, nowMs: 1, isDecided: { landing.isDecided($0, accepted: id(6)) },
      committedNonce: { landing.committedNonce() })
    #expect(committed == 6)
    #expect(entries.map(\.nonce) == [7, 8])
  }

  @Test("a transaction decided without raising the nonce (rejected) drops every later one")
  func aRejectedTransactionIsAGap() async throws {
    let book = book(nonces: 6...8)
    let (entries, committed) = await book.pending(
      of: sender, nowMs: 1, isDecided: { $0 == id(7) }, committedNonce: { 5 })
    #expect(committed == 5)
    #expect(entries.map(\.nonce) == [6])
    let again = await book.pending(of: sender, nowMs: 1, isDecided: { _ in false }, committedNonce: { 5 })
    #expect(again.entries.map(\.nonce) == [6])
  }

  @Test("expired entries and entries at or below the committed nonce leave the book")
  func staleEntriesLeave() async throws {
    let book = book(nonces: 3...5)
    let (entries, _) = await book.pending(
      of: sender, nowMs: 1, isDecided: { _ in false }, committedNonce: { 3 })
    #expect(entries.map(\.nonce) == [4, 5])
    let expired = await book.pending(
      of: sender, nowMs: 60_001, isDecided: { _ in false }, committedNonce: { 3 })
    #expect(expired.entries.isEmpty)
    #expect(!book.isPending(id(4), nowMs: 1))
  }

  @Test(
    "an entry is due for resending once its interval passed since it was last sent, not when expired or resent enough"
  )
  func dueEntriesAreMarkedSent() {
    let book = book(nonces: 1...2)
    book.add(.init(id: id(3), sender: sender, nonce: 3, entry: Data(), submittedAtMs: 2_500))
    #expect(book.due(nowMs: 2_999, intervalMs: 3_000, maxResends: 5).isEmpty)
    #expect(book.due(nowMs: 3_000, intervalMs: 3_000, maxResends: 5).map(\.nonce) == [1, 2])
    #expect(
      book.due(nowMs: 5_000, intervalMs: 3_000, maxResends: 5).isEmpty, "sent again at 3 s: next due at 6 s")
    #expect(book.due(nowMs: 6_000, intervalMs: 3_000, maxResends: 5).map(\.nonce) == [1, 2, 3])
    #expect(
      book.due(nowMs: 7_000, intervalMs: 0, maxResends: 2).map(\.nonce) == [3], "1 and 2 were resent twice")
    #expect(
      book.due(nowMs: 61_000, intervalMs: 0, maxResends: 9).map(\.nonce) == [3], "1 and 2 expired at 60 s")
    #expect(book.due(nowMs: 62_000, intervalMs: 0, maxResends: 3).isEmpty, "3 was resent 3 times")
    #expect(book.due(nowMs: 62_500, intervalMs: 0, maxResends: 9).isEmpty, "3 expired at 62.5 s")
  }
}
