import Foundation

/// The role a signature plays. Every SeHealthChain signature is Ed25519 over the domain's ASCII bytes
/// followed directly by the signed bytes (`domain || bytes`, no separator and no length), so a
/// signature made for one role never validates in another; the chain id inside every signed body
/// keeps it from validating on another network (DESIGN §4).
///
/// The built-in domains are listed as statics. New roles add a static in an extension, with a fresh
/// `"sehc/v1/..."` string.
///
/// Note on prefixes: because nothing separates the domain from the bytes, a domain that is a prefix
/// of another (here `"sehc/v1/rblock"` of `"sehc/v1/rblock-sign"`) is distinct only as long as no
/// body signed under the shorter one can begin with the rest of the longer one (`"-sign"`, i.e. the
/// byte 0x2D, protobuf field 5 with wire type 5, fixed32). Message definitions for the shorter domain
/// must not give field 5 the type fixed32/sfixed32/float; `SigningDomain.prefixPairs` lists such pairs
/// and a test pins the list.
public struct SigningDomain: Hashable, Sendable, CustomStringConvertible {
  /// The ASCII domain string.
  public let rawValue: String
  /// The domain's bytes, prepended to every message signed in this role.
  public let bytes: Data

  /// A domain from its string: printable ASCII, 1 to 64 characters.
  public init(_ rawValue: String) throws {
    guard (1...64).contains(rawValue.utf8.count), rawValue.utf8.allSatisfy({ (0x21...0x7e).contains($0) })
    else {
      throw CryptoError.invalidParameter(
        "a signing domain must be 1 to 64 printable ASCII characters, got \"\(rawValue)\"")
    }
    self.rawValue = rawValue
    self.bytes = Data(rawValue.utf8)
  }

  private init(known rawValue: StaticString) {
    self.rawValue = "\(rawValue)"
    self.bytes = Data(self.rawValue.utf8)
  }

  public var description: String { rawValue }

  /// `domain || message`: the exact bytes an Ed25519 signature in this role covers.
  public func signedBytes(_ message: Data) -> Data {
    var data = Data(capacity: bytes.count + message.count)
    data.append(bytes)
    data.append(message)
    return data
  }

  /// A transaction body (`SignedTransaction.body`).
  public static let transaction = SigningDomain(known: "sehc/v1/tx")
  /// A TChain vote.
  public static let vote = SigningDomain(known: "sehc/v1/vote")
  /// A TChain proposal.
  public static let proposal = SigningDomain(known: "sehc/v1/proposal")
  /// A TChain block header.
  public static let tblock = SigningDomain(known: "sehc/v1/tblock")
  /// A TChain commit (decision bits and commit certificate).
  public static let commit = SigningDomain(known: "sehc/v1/commit")
  /// A view-change message.
  public static let viewChange = SigningDomain(known: "sehc/v1/viewchange")
  /// An RChain block proposal header.
  public static let rblock = SigningDomain(known: "sehc/v1/rblock")
  /// A validator's signature in an RBlock certificate.
  public static let rblockSign = SigningDomain(known: "sehc/v1/rblock-sign")
  /// A cross-shard receipt.
  public static let receipt = SigningDomain(known: "sehc/v1/receipt")
  /// Equivocation evidence.
  public static let evidence = SigningDomain(known: "sehc/v1/evidence")
  /// A blob chunk (replication).
  public static let chunk = SigningDomain(known: "sehc/v1/chunk")
  /// A client JSON Web Token issued by a node.
  public static let jwt = SigningDomain(known: "sehc/v1/jwt")

  /// Every built-in domain.
  public static let all: [SigningDomain] = [
    .transaction, .vote, .proposal, .tblock, .commit, .viewChange, .rblock, .rblockSign, .receipt, .evidence,
    .chunk, .jwt,
  ]

  /// Pairs (shorter, longer) of domains in `domains` where the shorter is a prefix of the longer.
  public static func prefixPairs(in domains: [SigningDomain] = all) -> [(SigningDomain, SigningDomain)] {
    var pairs: [(SigningDomain, SigningDomain)] = []
    for a in domains {
      for b in domains where a != b && b.bytes.starts(with: a.bytes) { pairs.append((a, b)) }
    }
    return pairs
  }
}

extension Ed25519.PrivateKey {
  /// Signs `domain || message`.
  public func sign(domain: SigningDomain, message: Data) throws -> Data {
    try signature(for: domain.signedBytes(message))
  }
}

extension Ed25519.PublicKey {
  /// True when `signature` is this key's Ed25519 signature of `domain || message`.
  public func isValidSignature(_ signature: Data, domain: SigningDomain, message: Data) -> Bool {
    isValidSignature(signature, for: domain.signedBytes(message))
  }
}
