import Foundation
import Logging

/// A swift-log handler writing one JSON object per line:
///
///     {"label":"sehc.node","level":"info","message":"listening","metadata":{"port":"7200"},
///      "timestamp":"2026-01-02T03:04:05.678Z"}
///
/// Keys are sorted; metadata values keep their structure (strings, arrays, objects); the timestamp
/// is ISO 8601 in UTC with milliseconds.
public struct JSONLogHandler: LogHandler {
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
    let line = Line(
      timestamp: LogTime.iso8601(Date()), level: event.level.rawValue, label: label,
      message: event.message.description, metadata: merged.isEmpty ? nil : merged.mapValues(JSONValue.init))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(line) else { return }
    sink.write(String(decoding: data, as: UTF8.self))
  }

  private struct Line: Encodable {
    var timestamp: String
    var level: String
    var label: String
    var message: String
    var metadata: [String: JSONValue]?
  }

  /// A metadata value as JSON.
  private enum JSONValue: Encodable {
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(_ value: Logger.Metadata.Value) {
      switch value {
      case .string(let text): self = .string(text)
      case .stringConvertible(let value): self = .string(value.description)
      case .array(let values): self = .array(values.map(JSONValue.init))
      case .dictionary(let values): self = .object(values.mapValues(JSONValue.init))
      }
    }

    func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .string(let text): try container.encode(text)
      case .array(let values): try container.encode(values)
      case .object(let values): try container.encode(values)
      }
    }
  }
}
