/// What is wrong with a genesis: the file (when read from one), the field path in proto names
/// (`validators[2].peer_endpoint`) and the problem, printed as one line:
///
///     genesis.json: validators[1].public_key: the same key as validators[0] ("node-1")
public struct GenesisError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The genesis file, or nil for a genesis built in memory.
  public var file: String?
  /// The field, or nil for the whole genesis.
  public var field: String?
  /// What is wrong and, where there is one, the fix.
  public var problem: String

  /// An error about `field`.
  public init(file: String? = nil, field: String?, problem: String) {
    self.file = file
    self.field = field
    self.problem = problem
  }

  public var description: String {
    [file, field, problem].compactMap { $0 }.joined(separator: ": ")
  }

  func inFile(_ file: String) -> GenesisError {
    var copy = self
    copy.file = file
    return copy
  }
}
