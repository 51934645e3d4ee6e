import Foundation
import Logging
import TOMLKit

extension NodeConfig {
  /// The largest configuration file read.
  static let maxFileBytes = 1 << 20

  /// Reads and checks the TOML file at `path`. Relative paths inside it are resolved against its
  /// directory. Throws a ``ConfigError`` naming the file, the key and the fix.
  public static func load(path: String) throws(ConfigError) -> NodeConfig {
    let absolute = ConfigPath.absolute(path)
    let text: String
    do {
      let attributes = try FileManager.default.attributesOfItem(atPath: absolute)
      if let size = attributes[.size] as? Int, size > maxFileBytes {
        throw ConfigError(file: path, key: nil, problem: "is \(size) bytes; a configuration is at most 1 MiB")
      }
      let data = try Data(contentsOf: URL(fileURLWithPath: absolute))
      guard let decoded = String(data: data, encoding: .utf8) else {
        throw ConfigError(file: path, key: nil, problem: "is not UTF-8 text")
      }
      text = decoded
    } catch let error as ConfigError {
      throw error
    } catch {
      let reason =
        FileManager.default.fileExists(atPath: absolute)
        ? "cannot be read (\(error.localizedDescription))"
        : "no such file; pass the node's TOML configuration (docs/operator.md lists its keys)"
      throw ConfigError(file: path, key: nil, problem: reason)
    }
    var config = try parse(text, file: path, directory: (absolute as NSString).deletingLastPathComponent)
    config.sourceFile = absolute
    return config
  }

  /// Parses configuration text; `file` names it in errors and relative paths are resolved against
  /// `directory`.
  public static func parse(_ text: String, file: String, directory: String) throws(ConfigError) -> NodeConfig
  {
    let table: TOMLTable
    do {
      table = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw ConfigError(
        file: "\(file):\(error.source.begin.line):\(error.source.begin.column)", key: nil,
        problem: "not valid TOML: \(error.description)")
    } catch {
      throw ConfigError(file: file, key: nil, problem: "not valid TOML: \(error)")
    }
    let root = TOMLTableReader(file: file, table: table)
    guard let name = try root.string("name") else {
      throw root.error(
        "name", "missing; set it to the validator's name in the genesis file, e.g. name = \"node-1\"")
    }
    guard Self.isValidName(name) else {
      throw root.error(
        "name", "\"\(name)\" must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")
    }
    var config = NodeConfig(name: name, directory: directory)
    if let value = try root.path("data_dir", relativeTo: directory) { config.dataDirectory = value }
    if let value = try root.path("genesis", relativeTo: directory) { config.genesisFile = value }
    if let value = try root.path("validator_key", relativeTo: directory) {
      config.validatorKeyFile = value
      config.peer.key = value
    }
    if let peer = try root.table("peer") {
      if let value = try peer.endpoint("listen") { config.peer.listen = value }
      if let value = try peer.path("certificate", relativeTo: directory) { config.peer.certificate = value }
      if let value = try peer.path("key", relativeTo: directory) { config.peer.key = value }
      if let value = try peer.path("ca", relativeTo: directory) { config.peer.ca = value }
      try peer.finish()
    }
    config.client.ca = config.peer.ca
    if let client = try root.table("client") {
      if let value = try client.endpoint("listen") { config.client.listen = value }
      if let value = try client.path("certificate", relativeTo: directory) {
        config.client.certificate = value
      }
      if let value = try client.path("key", relativeTo: directory) { config.client.key = value }
      if let value = try client.path("ca", relativeTo: directory) { config.client.ca = value }
      try client.finish()
    }
    if let metrics = try root.table("metrics") {
      if let value = try metrics.bool("enabled") { config.metrics.enabled = value }
      if let value = try metrics.endpoint("listen") { config.metrics.listen = value }
      if let value = try metrics.int("max_request_bytes", in: 1024...(1 << 20)) {
        config.metrics.maxRequestBytes = value
      }
      try metrics.finish()
    }
    if let logging = try root.table("logging") {
      if let value = try logging.choice("level", Logger.Level.allCases.map(\.rawValue)) {
        config.logging.level = Logger.Level(rawValue: value)!
      }
      if let value = try logging.choice("format", LoggingConfig.Format.allCases.map(\.rawValue)) {
        config.logging.format = LoggingConfig.Format(rawValue: value)!
      }
      try logging.finish()
    }
    if let auth = try root.table("auth") {
      if let value = try auth.int("token_lifetime_seconds", in: 60...(7 * 86_400)) {
        config.auth.tokenLifetimeSeconds = value
      }
      if let value = try auth.int("clock_leeway_seconds", in: 0...300) {
        config.auth.clockLeewaySeconds = value
      }
      try auth.finish()
    }
    if let mempool = try root.table("mempool") {
      if let value = try mempool.int("max_transactions", in: 1...10_000_000) {
        config.mempool.maxTransactions = value
      }
      if let value = try mempool.int("max_bytes", in: (1 << 20)...(1 << 40)) {
        config.mempool.maxBytes = value
      }
      if let value = try mempool.int("max_per_sender", in: 1...1_000_000) {
        config.mempool.maxPerSender = value
      }
      try mempool.finish()
    }
    if let limits = try root.table("limits") {
      if let value = try limits.int("max_message_bytes", in: (64 << 10)...(64 << 20)) {
        config.limits.maxMessageBytes = value
      }
      if let value = try limits.int("max_concurrent_streams", in: 1...10_000) {
        config.limits.maxConcurrentStreams = value
      }
      if let value = try limits.int("max_connections", in: 1...1_000_000) {
        config.limits.maxConnections = value
      }
      if let value = try limits.int("max_wait_ms", in: 1...600_000) { config.limits.maxWaitMs = value }
      if let value = try limits.int("upload_session_ttl_seconds", in: 60...(30 * 86_400)) {
        config.limits.uploadSessionTTLSeconds = value
      }
      try limits.finish()
    }
    try root.finish()
    try config.checkListeners(file: file)
    return config
  }

  /// True for a validator name: 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'
  /// (the rule of `sehc cert issue --name`).
  static func isValidName(_ name: String) -> Bool {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
    return (1...64).contains(name.count) && name.allSatisfy(allowed.contains) && !name.hasPrefix(".")
  }

  /// Refuses two listeners on one port of one address.
  private func checkListeners(file: String) throws(ConfigError) {
    var listeners: [(key: String, endpoint: Endpoint)] = [
      ("peer.listen", peer.listen), ("client.listen", client.listen),
    ]
    if metrics.enabled { listeners.append(("metrics.listen", metrics.listen)) }
    let wildcards: Set<String> = ["0.0.0.0", "::"]
    for (index, later) in listeners.enumerated() {
      for earlier in listeners[..<index]
      where later.endpoint.port != 0 && later.endpoint.port == earlier.endpoint.port {
        let overlap =
          later.endpoint.host == earlier.endpoint.host || wildcards.contains(later.endpoint.host)
          || wildcards.contains(earlier.endpoint.host)
        if overlap {
          throw ConfigError(
            file: file, key: later.key,
            problem:
              "port \(later.endpoint.port) is already \(earlier.key) (\(earlier.endpoint)); give each listener its own port"
          )
        }
      }
    }
  }
}
