import ChainCrypto

/// Why a ``UserStore`` operation failed. Each description is one line for a gRPC status message or
/// a log.
public enum UserStoreError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A field of a new user or a new password breaks its rule.
  case invalidInput(String)
  /// A user with this name exists.
  case userExists(String)
  /// A user with this key exists.
  case keyInUse(username: String)
  /// Wrong user name or password: the same error for both, so that callers cannot probe names.
  case invalidCredentials
  /// No user has this name (for operations by an authenticated caller or an operator, never for
  /// login).
  case unknownUser(String)
  /// The node does not hold this user's key.
  case notCustodial(String)
  /// The sealed key does not open with this node's validator key.
  case keyDecryptionFailed(String)
  /// Too many password checks are waiting; try again shortly.
  case busy
  /// The database failed.
  case storage(String)

  public var description: String {
    switch self {
    case .invalidInput(let problem): return problem
    case .userExists(let name): return "user \"\(name)\" already exists; choose another name"
    case .keyInUse(let name): return "this key already belongs to user \"\(name)\""
    case .invalidCredentials: return "wrong user name or password"
    case .unknownUser(let name): return "no user \"\(name)\" on this node"
    case .notCustodial(let name):
      return
        "the node holds no signing key for \"\(name)\"; sign the transaction yourself and use SubmitTransaction"
    case .keyDecryptionFailed(let name):
      return "the signing key of \"\(name)\" does not decrypt with this node's validator key "
        + "(the user store belongs to another validator key, or it was modified)"
    case .busy: return "too many logins in progress; retry in a moment"
    case .storage(let reason): return "user store: \(reason)"
    }
  }
}
