import Synchronization

/// A value shared between tasks and event loops in tests, behind a mutex.
public final class LockedBox<Value: Sendable>: Sendable {
  private let mutex: Mutex<Value>

  public init(_ value: Value) { mutex = Mutex(value) }

  /// Runs `body` with exclusive access to the value.
  public func withValue<R: Sendable>(_ body: (inout Value) -> R) -> R {
    mutex.withLock { value in body(&value) }
  }

  /// The current value.
  public var value: Value { withValue { $0 } }
}
