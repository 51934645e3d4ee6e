/// A problem with a whole block or with the ledger's own data, as opposed to an invalid entry
/// (`Rejection`, which is a verdict, not an error).
public enum LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The block (or proposal, certificate, RBlock) is malformed or fails verification.
  case invalidBlock(String)
  /// The genesis is unusable.
  case invalidGenesis(String)
  /// A state value does not decode: the state was written by something else than this ledger.
  case corruptState(key: String, detail: String)
  /// The RBlocks given for reward crediting do not continue the shard's credited height.
  case rewardGap(String)
  /// A wire message failed to encode (a string with NUL).
  case encoding(String)

  public var description: String {
    switch self {
    case .invalidBlock(let detail): "invalid block: \(detail)"
    case .invalidGenesis(let detail): "invalid genesis: \(detail)"
    case .corruptState(let key, let detail): "corrupt state value at key \(key): \(detail)"
    case .rewardGap(let detail): "RBlock rewards: \(detail)"
    case .encoding(let detail): "encoding failed: \(detail)"
    }
  }
}
