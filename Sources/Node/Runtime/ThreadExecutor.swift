import Foundation

/// A serial executor that runs its jobs on one dedicated thread.
///
/// ``NodeRuntime`` runs on it: carrying out a consensus step writes to SQLite with `fsync` and runs the
/// ledger synchronously, and blocking calls belong on a thread of their own rather than on Swift's
/// cooperative pool, whose few threads every other task of the process shares.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
  // `jobs` is guarded by `condition`.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []

  /// Starts the thread, named `name`. The thread lives as long as the process: a node has one.
  init(name: String) {
    let thread = Thread { [self] in self.run() }
    thread.name = name
    thread.start()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    jobs.append(job)
    condition.signal()
    condition.unlock()
  }

  func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

  private func run() {
    while true {
      condition.lock()
      while jobs.isEmpty { condition.wait() }
      let batch = jobs
      jobs = []
      condition.unlock()
      for job in batch { job.runSynchronously(on: asUnownedSerialExecutor()) }
    }
  }
}
