import Dispatch
import Foundation
import Node

#if canImport(Glibc)
  import Glibc
#endif

/// Catches SIGINT and SIGTERM (instead of dying of them) so that a long-running command can stop its
/// children cleanly, and watches a devnet's nodes for unexpected exits.
final class SignalWatcher: @unchecked Sendable {
  /// Why the wait ended.
  enum Reason {
    case signal(Int32)
    case nodeExited(DevnetSupervisor.Exit)
  }

  private let sources: [any DispatchSourceSignal]
  private let lock = NSLock()
  private var received: Int32?

  /// Starts catching `signals`.
  init(signals: [Int32]) {
    var sources: [any DispatchSourceSignal] = []
    for number in signals {
      Glibc.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      sources.append(source)
    }
    self.sources = sources
    for (source, number) in zip(sources, signals) {
      source.setEventHandler { [weak self] in self?.record(number) }
      source.resume()
    }
  }

  private func record(_ number: Int32) {
    lock.lock()
    if received == nil { received = number }
    lock.unlock()
  }

  /// The first signal caught, if any.
  var caught: Int32? {
    lock.lock()
    defer { lock.unlock() }
    return received
  }

  /// Waits until a signal arrives or a node of `supervisor` not in `ignoring` exits on its own.
  func waitForSignalOrExit(of supervisor: DevnetSupervisor, ignoring: Set<String> = []) async -> Reason {
    while true {
      if let number = caught { return .signal(number) }
      if let exit = supervisor.unexpectedExits().first(where: { !ignoring.contains($0.name) }) {
        return .nodeExited(exit)
      }
      try? await Task.sleep(for: .milliseconds(200))
    }
  }
}
