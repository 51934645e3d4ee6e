import GRPCCore

extension UserStoreError {
  /// The gRPC status for a client API call that failed with this error. Storage failures do not
  /// reveal their details to clients (log the error itself).
  public var rpcError: RPCError {
    switch self {
    case .invalidInput: return RPCError(code: .invalidArgument, message: description)
    case .userExists, .keyInUse: return RPCError(code: .alreadyExists, message: description)
    case .invalidCredentials: return RPCError(code: .unauthenticated, message: description)
    case .unknownUser: return RPCError(code: .notFound, message: description)
    case .notCustodial: return RPCError(code: .failedPrecondition, message: description)
    case .busy: return RPCError(code: .resourceExhausted, message: description)
    case .keyDecryptionFailed, .storage:
      return RPCError(
        code: .internalError, message: "the node's user store failed; its operator has the details")
    }
  }
}
