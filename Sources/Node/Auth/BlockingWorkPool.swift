import Foundation

/// Runs slow blocking work (scrypt: about 0.1 s and 32 MiB each) off Swift's cooperative thread
/// pool, at most `width` at a time, with at most `queueLimit` waiting: a flood of logins gets
/// ``UserStoreError/busy`` instead of unbounded memory.
final class BlockingWorkPool: @unchecked Sendable {
  // @unchecked: OperationQueue is thread-safe.
  private let queue = OperationQueue()
  private let queueLimit: Int

  init(name: String, width: Int, queueLimit: Int) {
    queue.name = name
    queue.maxConcurrentOperationCount = width
    self.queueLimit = queueLimit
  }

  /// The result of `work`, run on the pool.
  func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    guard queue.operationCount < queueLimit else { throw UserStoreError.busy }
    return try await withCheckedThrowingContinuation { continuation in
      queue.addOperation { continuation.resume(with: Result { try work() }) }
    }
  }
}
