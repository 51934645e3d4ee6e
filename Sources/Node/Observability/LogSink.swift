import Foundation
import Synchronization

/// Where log lines go: standard error by default, or any closure (tests). Lines from concurrent
/// loggers are written whole, one at a time.
public struct LogSink: Sendable {
  private let writeLine: @Sendable (String) -> Void

  /// A sink calling `writeLine` with each line (without its newline).
  public init(_ writeLine: @escaping @Sendable (String) -> Void) {
    self.writeLine = writeLine
  }

  /// Writes one line.
  public func write(_ line: String) { writeLine(line) }

  /// Standard error, a line per write(2).
  public static let standardError: LogSink = {
    let lock = Mutex(())
    return LogSink { line in
      lock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
  }()
}
