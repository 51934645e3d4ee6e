import ChainCrypto
import Foundation
import GRPCCore
import RPC
import TLS

/// Who may speak on the peer port: the genesis validators, identified by the validator id (UID) of the
/// node certificate they present, which must be the address of the certificate's own Ed25519 key and
/// must match the key the genesis lists for that validator.
struct PeerIdentity: Sendable {
  /// Genesis validators' keys by address.
  let keys: [Address: Ed25519.PublicKey]

  init(genesis: ValidatedGenesis) {
    keys = Dictionary(uniqueKeysWithValues: genesis.validators.map { ($0.address, $0.publicKey) })
  }

  /// The validator a DER certificate identifies, or why it identifies none.
  func validator(certificate der: [UInt8]) -> Result<Address, PeerIdentityError> {
    let certificate: Certificate
    do { certificate = try Certificate(derRepresentation: Data(der)) } catch {
      return .failure(PeerIdentityError("the certificate does not parse: \(error)"))
    }
    let address: Address
    do { address = try certificate.validatorID() } catch {
      return .failure(PeerIdentityError("\(error)"))
    }
    guard let key = keys[address] else {
      return .failure(
        PeerIdentityError("\(certificate.subject) names validator \(address), which is not in the genesis"))
    }
    guard (try? certificate.publicKey.ed25519) == key else {
      return .failure(
        PeerIdentityError("\(certificate.subject) carries another key than the genesis lists for \(address)"))
    }
    return .success(address)
  }

  /// A TLS hook accepting exactly the genesis validators (or, with `expected`, that one validator).
  func verifier(expected: Address? = nil) -> PeerVerifier {
    { peer in
      guard let leaf = peer.leafCertificate else { return .reject("no certificate") }
      switch validator(certificate: leaf) {
      case .success(let address):
        if let expected, expected != address {
          return .reject("the peer is validator \(address), not the expected \(expected)")
        }
        return .accept
      case .failure(let error):
        return .reject(error.description)
      }
    }
  }

  /// The validator behind a call on the peer port, or PERMISSION_DENIED.
  func caller(of context: ServerContext, registry: PeerRegistry) throws(RPCError) -> Address {
    guard let leaf = registry.peer(for: context)?.leafCertificate else {
      throw RPCError(
        code: .permissionDenied, message: "the peer port serves validators with a node certificate only")
    }
    switch validator(certificate: leaf) {
    case .success(let address): return address
    case .failure(let error): throw RPCError(code: .permissionDenied, message: error.description)
    }
  }
}

/// Why a certificate does not identify a genesis validator.
struct PeerIdentityError: Error, Sendable, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
