import Foundation
import GRPCCore
import Ledger
import Logging

/// The gRPC statuses of the client API, each with a message that says what is wrong and, where there
/// is one, what to do.
enum APIError {
  static func invalid(_ message: String) -> RPCError { RPCError(code: .invalidArgument, message: message) }
  static func notFound(_ message: String) -> RPCError { RPCError(code: .notFound, message: message) }
  static func denied(_ message: String) -> RPCError { RPCError(code: .permissionDenied, message: message) }
  static func precondition(_ message: String) -> RPCError {
    RPCError(code: .failedPrecondition, message: message)
  }
  static func exhausted(_ message: String) -> RPCError {
    RPCError(code: .resourceExhausted, message: message)
  }
  static func unavailable(_ message: String) -> RPCError { RPCError(code: .unavailable, message: message) }
  static func dataLoss(_ message: String) -> RPCError { RPCError(code: .dataLoss, message: message) }

  /// Where internal failures are logged, with their cause, for the operator.
  private static let logger = Logger(label: "sehc.api")

  /// An internal failure: the client learns that the node failed, not the node's paths or details;
  /// the cause goes to the node's log (and into the error, for in-process callers).
  static func `internal`(_ what: String, cause: any Error) -> RPCError {
    logger.error("\(what) failed", metadata: ["error": "\(String(reflecting: cause))"])
    return RPCError(
      code: .internalError, message: "\(what) failed on this node; its operator has the details", cause: cause
    )
  }

  /// A transaction refused by the ledger's rules, with the ledger's reason (`code: message`).
  static func rejected(_ txID: Data, _ rejection: Rejection) -> RPCError {
    invalid("transaction \(txID.hexString) rejected: \(rejection.description)")
  }

  /// The status of any error thrown under a handler: RPC errors pass through, the stores' and the
  /// backend's errors are mapped, anything else is internal.
  static func map(_ error: any Error, doing what: String) -> RPCError {
    switch error {
    case let error as RPCError: return error
    case let error as ChainBackendError: return error.rpcError
    case let error as BlobStoreError: return error.rpcError(doing: what)
    case let error as Rejection: return invalid(error.description)
    case LedgerStoreError.invalidRequest(let detail): return invalid(detail)
    default: return self.internal(what, cause: error)
    }
  }
}

extension ChainBackendError {
  /// The status of a backend failure.
  var rpcError: RPCError {
    switch self {
    case .invalid(let reason): return APIError.invalid(reason)
    case .overloaded(let reason): return APIError.exhausted(reason)
    case .unavailable(let reason): return APIError.unavailable(reason)
    case .notFound(let reason): return APIError.notFound(reason)
    }
  }
}

extension BlobStoreError {
  /// The status of a blob store failure; file system details stay in the node.
  func rpcError(doing what: String) -> RPCError {
    switch self {
    case .unknownSession, .unknownBlob: return APIError.notFound(description)
    case .erased: return APIError.notFound(description + "; its content was crypto-shredded")
    case .sessionExpired, .offsetMismatch, .incomplete: return APIError.precondition(description)
    case .tooLarge, .contentHashMismatch, .invalidManifest: return APIError.invalid(description)
    case .missingChunk: return APIError.unavailable(description)
    case .corruptChunk: return APIError.dataLoss(description)
    case .wrongMasterKey, .io: return APIError.internal(what, cause: self)
    }
  }
}
