import Foundation
import Logging

/// A swift-log handler writing one line per event for people:
///
///     2026-01-02T03:04:05.678Z info sehc.node: listening port=7200 service=client
///
/// Metadata follows the message as sorted `key=value` pairs; values with spaces are quoted.
public struct TextLogHandler: LogHandler {
  /// The logger's label.
  public let label: String
  public var logLevel: Logger.Level
  public var metadata: Logger.Metadata = [:]
  public var metadataProvider: Logger.MetadataProvider?
  private let sink: LogSink

  /// A handler for `label` writing to `sink`.
  public init(
    label: String, level: Logger.Level = .info, sink: LogSink = .standardError,
    metadataProvider: Logger.MetadataProvider? = nil
  ) {
    self.label = label
    logLevel = level
    self.sink = sink
    self.metadataProvider = metadataProvider
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
    if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
    var line = "\(LogTime.iso8601(Date())) \(event.level.rawValue) \(label): \(event.message)"
    for key in merged.keys.sorted() {
      line += " \(key)=\(Self.quoted(merged[key]!.description))"
    }
    sink.write(line)
  }

  private static func quoted(_ text: String) -> String {
    guard text.isEmpty || text.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline })
    else {
      return text
    }
    let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
      of: "\"", with: "\\\""
    )
    .replacingOccurrences(of: "\n", with: "\\n")
    return "\"\(escaped)\""
  }
}

/// Timestamps of log lines.
enum LogTime {
  /// `date` as ISO 8601 in UTC with milliseconds, e.g. `2026-01-02T03:04:05.678Z`.
  static func iso8601(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
  }
}
