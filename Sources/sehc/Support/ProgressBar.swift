import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A progress bar on standard error: redrawn in place on a terminal, a line per quarter otherwise (logs
/// and CI stay readable). `sehc devnet --demo` shows transfers with it, `sehc simulate` its runs.
final class ProgressBar: @unchecked Sendable {
  /// What the counts after the bar say.
  enum Counting {
    /// Nothing but the percentage.
    case none
    /// `done/total`.
    case items
    /// Sizes and a rate.
    case bytes
  }

  private let title: String
  private let total: Int64
  private let counting: Counting
  private let unit = ByteCountFormatter()
  private let enabled: Bool
  private let isTerminal = isatty(STDERR_FILENO) == 1
  private let started = Date()
  private let lock = NSLock()
  private var lastQuarter = -1
  private var lastDraw = Date.distantPast

  /// A bar for `total` units; a disabled bar draws nothing.
  init(_ title: String, total: Int64, counting: Counting = .items, enabled: Bool = true) {
    self.title = title
    self.total = max(total, 1)
    self.counting = counting
    self.enabled = enabled
    unit.countStyle = .binary
  }

  /// Shows `done` of the total.
  func update(_ done: Int64) {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    let fraction = min(1, Double(done) / Double(total))
    if isTerminal {
      let now = Date()
      guard done >= total || now.timeIntervalSince(lastDraw) > 0.05 else { return }
      lastDraw = now
      let width = 30
      let filled = Int(fraction * Double(width))
      let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      write("\r  \(title) \(bar) \(Int(fraction * 100))% \(counts(done))\u{1B}[K")
    } else {
      let quarter = Int(fraction * 4)
      guard quarter > lastQuarter else { return }
      lastQuarter = quarter
      write("  \(title): \(quarter * 25)% \(counts(done))\n")
    }
  }

  /// Ends the bar's line.
  func finish() {
    update(total)
    if enabled && isTerminal { write("\n") }
  }

  private func counts(_ done: Int64) -> String {
    switch counting {
    case .none: return ""
    case .items: return "\(done)/\(total)"
    case .bytes: break
    }
    let seconds = max(Date().timeIntervalSince(started), 0.001)
    let rate = unit.string(fromByteCount: Int64(Double(done) / seconds))
    return "\(unit.string(fromByteCount: done)) of \(unit.string(fromByteCount: total)), \(rate)/s"
  }

  private func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}
