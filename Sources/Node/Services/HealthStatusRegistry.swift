import Foundation
import Synchronization
import Wire

/// The serving status of each service the node offers, for `grpc.health.v1.Health`.
///
/// The empty name `""` is the node as a whole. The node sets statuses as parts start and stop
/// (``setStatus(_:for:)``); ``HealthService`` answers Check from it and streams changes to Watch.
/// ``shutDown()`` marks everything NOT_SERVING, as the health protocol asks of a server going down.
public final class HealthStatusRegistry: Sendable {
  /// A status.
  public typealias Status = HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status]
    var watchers: [UInt64: (service: String, continuation: AsyncStream<Status>.Continuation)] = [:]
    var nextWatcher: UInt64 = 0
  }

  private let state: Mutex<State>

  /// A registry with `statuses` (by service name; `""` for the whole node).
  public init(_ statuses: [String: Status] = ["": .notServing]) {
    state = Mutex(State(statuses: statuses))
  }

  /// The status of `service`, or nil when the registry does not know it.
  public func status(for service: String) -> Status? {
    state.withLock { $0.statuses[service] }
  }

  /// Sets the status of `service` (adding it if new) and tells its watchers when it changed.
  public func setStatus(_ status: Status, for service: String) {
    state.withLock { state in
      guard state.statuses[service] != status else { return }
      state.statuses[service] = status
      for watcher in state.watchers.values where watcher.service == service {
        watcher.continuation.yield(status)
      }
    }
  }

  /// Marks every service NOT_SERVING, sends that to every watcher, and ends the watches, so that
  /// a graceful server shutdown does not wait for them.
  public func shutDown() {
    let services = state.withLock { Array($0.statuses.keys) }
    for service in services { setStatus(.notServing, for: service) }
    let watchers = state.withLock { state in
      defer { state.watchers.removeAll() }
      return Array(state.watchers.values)
    }
    for watcher in watchers { watcher.continuation.finish() }
  }

  /// The status of `service` now (SERVICE_UNKNOWN if unknown), then each change. Only the latest
  /// status is buffered: a slow watcher skips intermediate ones but always sees the current one.
  public func updates(for service: String) -> AsyncStream<Status> {
    let (stream, continuation) = AsyncStream<Status>.makeStream(bufferingPolicy: .bufferingNewest(1))
    let id = state.withLock { state in
      let id = state.nextWatcher
      state.nextWatcher += 1
      state.watchers[id] = (service, continuation)
      continuation.yield(state.statuses[service] ?? .serviceUnknown)
      return id
    }
    continuation.onTermination = { [weak self] _ in
      _ = self?.state.withLock { $0.watchers.removeValue(forKey: id) }
    }
    return stream
  }

  /// The number of open watches (for tests and metrics).
  public var watcherCount: Int { state.withLock { $0.watchers.count } }
}
