import TOMLKit

/// Reads the keys of one TOML table with precise errors: each getter names the key path and the
/// expected type, and ``finish()`` refuses keys nobody asked for (usually typos).
final class TOMLTableReader {
  private let file: String
  private let table: TOMLTable
  private let prefix: String
  private var known: [String] = []

  init(file: String, table: TOMLTable, prefix: String = "") {
    self.file = file
    self.table = table
    self.prefix = prefix
  }

  /// The dotted path of `key` in this table.
  func path(_ key: String) -> String { prefix + key }

  /// An error about `key`.
  func error(_ key: String, _ problem: String) -> ConfigError {
    ConfigError(file: file, key: path(key), problem: problem)
  }

  private func value(_ key: String, _ expected: TOMLType) throws(ConfigError) -> (any TOMLValueConvertible)? {
    known.append(key)
    guard let value = table[key] else { return nil }
    guard value.type == expected else {
      throw error(key, "must be \(Self.describe(expected)), not \(Self.describe(value.type))")
    }
    return value
  }

  /// A string, or nil when absent; an empty string is refused.
  func string(_ key: String) throws(ConfigError) -> String? {
    guard let text = try value(key, .string)?.string else { return nil }
    guard !text.isEmpty else { throw error(key, "must not be empty; remove the key to use the default") }
    return text
  }

  /// An integer in `range`, or nil when absent.
  func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
    guard let number = try value(key, .int)?.int else { return nil }
    guard range.contains(number) else {
      throw error(key, "must be from \(range.lowerBound) to \(range.upperBound), not \(number)")
    }
    return number
  }

  /// A boolean, or nil when absent.
  func bool(_ key: String) throws(ConfigError) -> Bool? {
    try value(key, .bool)?.bool
  }

  /// One of `choices` (a string), or nil when absent.
  func choice(_ key: String, _ choices: [String]) throws(ConfigError) -> String? {
    guard let text = try string(key) else { return nil }
    guard choices.contains(text) else {
      let list = choices.map { "\"\($0)\"" }.joined(separator: ", ")
      throw error(key, "\"\(text)\" is not one of \(list)")
    }
    return text
  }

  /// A `host:port` listener address (port 0 allowed), or nil when absent.
  func endpoint(_ key: String) throws(ConfigError) -> Endpoint? {
    guard let text = try string(key) else { return nil }
    do {
      return try Endpoint(parsing: text, allowPortZero: true)
    } catch {
      throw self.error(key, error.description)
    }
  }

  /// A path resolved against `directory`, or nil when absent.
  func path(_ key: String, relativeTo directory: String) throws(ConfigError) -> String? {
    guard let text = try string(key) else { return nil }
    guard !text.utf8.contains(0) else { throw error(key, "must not contain NUL") }
    return ConfigPath.resolve(text, against: directory)
  }

  /// The sub-table `key`, or nil when absent.
  func table(_ key: String) throws(ConfigError) -> TOMLTableReader? {
    guard let value = try value(key, .table), let table = value.table else { return nil }
    return TOMLTableReader(file: file, table: table, prefix: path(key) + ".")
  }

  /// Refuses any key of the table that was not read.
  func finish() throws(ConfigError) {
    for key in table.keys.sorted() where !known.contains(key) {
      let here = prefix.isEmpty ? "at the top level" : "in [\(prefix.dropLast())]"
      let list = known.sorted().joined(separator: ", ")
      throw error(key, "unknown key; the keys \(here) are: \(list)")
    }
  }

  private static func describe(_ type: TOMLType) -> String {
    switch type {
    case .table: return "a table"
    case .array: return "an array"
    case .string: return "a string (in quotes)"
    case .int: return "an integer (without quotes)"
    case .double: return "a floating-point number"
    case .bool: return "true or false"
    case .date: return "a date"
    case .time: return "a time"
    case .dateTime: return "a date-time"
    }
  }
}
