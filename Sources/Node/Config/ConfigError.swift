/// What is wrong with a node configuration: the file, the key path (dotted, as `client.listen`)
/// and the problem with its fix, printed as one line:
///
///     /etc/sehc/node.toml: auth.token_lifetime_seconds: must be from 60 to 604800, not 0
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The configuration file.
  public var file: String
  /// The key path, when the problem is one key's (`peer.listen`); nil for the whole file.
  public var key: String?
  /// What is wrong and how to fix it.
  public var problem: String

  /// An error about `key` of `file`.
  public init(file: String, key: String?, problem: String) {
    self.file = file
    self.key = key
    self.problem = problem
  }

  public var description: String {
    if let key { return "\(file): \(key): \(problem)" }
    return "\(file): \(problem)"
  }
}
