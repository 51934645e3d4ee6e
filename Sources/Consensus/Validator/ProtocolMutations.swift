/// Deliberate breakage of the protocol, for tests that prove the simulation's safety checks fail when a
/// safety rule is missing (mutation testing). A node never sets any of these.
public struct ProtocolMutations: Sendable, Hashable {
  /// Accept a Commit at once, without echoing its endorsement or waiting Δ for a conflicting one
  /// (removes the equivocation guard of docs/protocol.md §3.5).
  public var skipEquivocationGuard = false
  /// A new leader never re-issues the decision its view changes report; members accept a fresh proposal
  /// instead (removes the adoption rule of docs/protocol.md §3.7).
  public var skipAdoption = false

  public init(skipEquivocationGuard: Bool = false, skipAdoption: Bool = false) {
    self.skipEquivocationGuard = skipEquivocationGuard
    self.skipAdoption = skipAdoption
  }

  /// The protocol as specified.
  public static let none = ProtocolMutations()
}
