import GRPCCore
import Wire

/// Who may call a method.
public enum MethodAccess: Sendable, Equatable {
  /// Anyone, without a token: Login, the health service, server reflection.
  case open
  /// Any user with a valid token.
  case anyUser
  /// Users with a valid token and one of these roles.
  case roles(Set<Role>)

  /// Whether a caller with `role` passes (open methods need no role at all).
  public func allows(_ role: Role) -> Bool {
    switch self {
    case .open, .anyUser: return true
    case .roles(let roles): return roles.contains(role)
    }
  }
}

/// The role table of the client API: the one place that says who may call each method. docs/api.md
/// prints it. Methods of services not listed here (none are served on the client port today) are
/// refused to everyone: PERMISSION_DENIED after authentication.
public enum AccessPolicy {
  /// Roles that write records and images: the patient's own, or a care provider's.
  static let writers: Set<Role> = [.patient, .clinician, .hospital, .lab]

  /// Every method of `sehc.v1.HealthChain`, by method name.
  public static let healthChain: [String: MethodAccess] = [
    // Accounts and sessions.
    "Login": .open,
    "WhoAmI": .anyUser,
    "CreateUser": .roles([.admin]),
    "ChangePassword": .anyUser,
    // Transactions the client signed itself: the ledger applies each kind's sender rules.
    "SubmitTransaction": .anyUser,
    // Transactions the node signs with the caller's custodial key.
    "PutRecord": .roles(writers),
    "BeginUpload": .roles(writers),
    "UploadImage": .roles(writers),
    "GetUpload": .roles(writers),
    "RequestAccess": .roles([.clinician, .hospital, .lab, .auditor]),
    "DecideRequest": .roles([.patient, .admin]),
    "GrantAccess": .roles([.patient]),
    "RevokeAccess": .roles([.patient, .admin]),
    "EraseRecord": .roles([.patient, .admin]),
    "Transfer": .anyUser,
    // Content and state: handlers filter by the grants on chain.
    "Download": .anyUser,
    "GetRecord": .anyUser,
    "ListRecords": .anyUser,
    "ListGrants": .anyUser,
    "ListAccessRequests": .anyUser,
    "GetAccount": .anyUser,
    // The chains.
    "GetTransaction": .anyUser,
    "GetTBlock": .anyUser,
    "ListTBlocks": .anyUser,
    "GetRBlock": .anyUser,
    "ListRBlocks": .anyUser,
    "ValidateChain": .roles([.admin, .auditor]),
    "GetReputation": .anyUser,
    "GetShardAssignment": .anyUser,
    "WatchBlocks": .anyUser,
    "GetNodeInfo": .anyUser,
  ]

  /// Services open to anyone on the client port.
  public static let openServices: Set<String> = [
    Health.descriptor.fullyQualifiedService, ServerReflection.descriptor.fullyQualifiedService,
  ]

  /// Who may call `method`; nil for a method nobody may call.
  public static func access(for method: MethodDescriptor) -> MethodAccess? {
    if openServices.contains(method.service.fullyQualifiedService) { return .open }
    if method.service == HealthChain.descriptor { return healthChain[method.method] }
    return nil
  }
}
