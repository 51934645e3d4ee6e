import ChainCrypto

/// One lock per sender address, so that the node signs, checks and submits one custodial transaction
/// of a sender at a time: two concurrent calls of one user get consecutive nonces, and each is checked
/// against the state that includes the other.
actor SenderLocks {
  private var held: Set<Address> = []
  private var waiting: [Address: [CheckedContinuation<Void, Never>]] = [:]

  /// Runs `body` holding `sender`'s lock.
  nonisolated func withLock<T: Sendable>(_ sender: Address, _ body: () async throws -> T) async throws -> T {
    await acquire(sender)
    do {
      let result = try await body()
      await release(sender)
      return result
    } catch {
      await release(sender)
      throw error
    }
  }

  private func acquire(_ sender: Address) async {
    guard held.contains(sender) else {
      held.insert(sender)
      return
    }
    await withCheckedContinuation { waiting[sender, default: []].append($0) }
  }

  /// Hands the lock to the next waiter, or frees it.
  private func release(_ sender: Address) {
    guard var queue = waiting[sender], !queue.isEmpty else {
      held.remove(sender)
      return
    }
    let next = queue.removeFirst()
    waiting[sender] = queue.isEmpty ? nil : queue
    next.resume()
  }
}
