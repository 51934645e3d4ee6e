import Logging
import Synchronization

/// Installs the node's log handler for the whole process from ``LoggingConfig``.
public enum LoggingBootstrap {
  private static let done = Mutex(false)

  /// A handler for `label` in the configured format and level.
  public static func handler(label: String, config: LoggingConfig, sink: LogSink = .standardError)
    -> any LogHandler
  {
    switch config.format {
    case .json: return JSONLogHandler(label: label, level: config.level, sink: sink)
    case .text: return TextLogHandler(label: label, level: config.level, sink: sink)
    }
  }

  /// Bootstraps swift-log once per process (later calls do nothing: swift-log allows one).
  public static func bootstrap(_ config: LoggingConfig, sink: LogSink = .standardError) {
    done.withLock { done in
      guard !done else { return }
      LoggingSystem.bootstrap { label in handler(label: label, config: config, sink: sink) }
      done = true
    }
  }
}
