import Foundation

/// The role a signature plays. Every SeHealthChain signature is Ed25519 over the domain's ASCII bytes
/// followed directly by the signed bytes (`domain || bytes`), so a signature made for one role never
/// validates in another; the chain id inside every signed body keeps it from validating on another
/// network (DESIGN §4).
///
/// Because nothing separates the domain from the bytes, the set of domains must be prefix-free: no
/// domain may be a prefix of another (else a body signed under the shorter one could begin with the
/// rest of the longer one). ``prefixPairs(in:)`` finds violations and a test keeps the built-in set
/// prefix-free. New roles add a static in an extension, with a fresh `"sehc/v1/..."` string.
///
/// Node-issued JSON Web Tokens are standard EdDSA JWTs (signed over `header.payload`, no domain) so
/// that stock JWT libraries verify them; their signing input starts with `eyJ` (base64url of `{"`)
/// and can never be mistaken for a domain-prefixed message, which starts with `sehc/`.
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
  /// A TChain block header, signed by its proposer (`TBlock.header`, `Proposal.header`).
  public static let tblock = SigningDomain(known: "sehc/v1/tblock")
  /// A TChain vote (`Vote.body`).
  public static let vote = SigningDomain(known: "sehc/v1/vote")
  /// A TChain view change (`ViewChange.body`).
  public static let viewChange = SigningDomain(known: "sehc/v1/viewchange")
  /// An RBlock hash, signed by its proposer and by every validator in its certificate.
  public static let rblock = SigningDomain(known: "sehc/v1/rblock")
  /// An RChain view change (`RChainViewChange.body`).
  public static let rchainViewChange = SigningDomain(known: "sehc/v1/rviewchange")

  /// Every built-in domain.
  public static let all: [SigningDomain] = [
    .transaction, .tblock, .vote, .viewChange, .rblock, .rchainViewChange,
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
