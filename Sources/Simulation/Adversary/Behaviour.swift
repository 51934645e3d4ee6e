/// How a simulated validator misbehaves. Byzantine validators run the honest state machine and a
/// behaviour rewrites, drops or adds messages around it (they hold only their own key).
public struct Behaviour: Sendable, Hashable, CustomStringConvertible {
  /// Inverts the validity bits of every vote it sends.
  public var wrongVotes = false
  /// As leader, sends two different proposals to two halves of its shard and drives both to a commit.
  public var equivocate = false
  /// Drops the transactions and receipts it receives (`.all`) or only receipts (`.receipts`).
  public var censor: Censorship = .none
  /// Sends forged votes, certificates, proposals, signatures and evidence.
  public var forge = false
  /// Re-sends old receipts, proposals and commits, some tampered.
  public var replay = false

  public enum Censorship: String, Sendable, Hashable { case none, all, receipts }

  public init() {}

  public static let honest = Behaviour()

  /// Whether the validator deviates from the protocol at all.
  public var isByzantine: Bool { wrongVotes || equivocate || censor != .none || forge || replay }

  public var description: String {
    var parts: [String] = []
    if wrongVotes { parts.append("wrong-votes") }
    if equivocate { parts.append("equivocate") }
    if censor != .none { parts.append("censor-\(censor.rawValue)") }
    if forge { parts.append("forge") }
    if replay { parts.append("replay") }
    return parts.isEmpty ? "honest" : parts.joined(separator: "+")
  }
}
