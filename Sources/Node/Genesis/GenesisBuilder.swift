import ChainCrypto
import Foundation
import Wire

/// Builds a genesis from the consortium CA, the validators' node certificates and the initial
/// participants (what `sehc genesis` does), and checks it as a node would.
public struct GenesisBuilder: Sendable {
  /// A validator: its node certificate (issued by the CA, with its validator id) and endpoints.
  public struct ValidatorInput: Sendable {
    /// The name; it must be the certificate's CN.
    public var name: String
    /// The node certificate (Ed25519 key, UID = validator id).
    public var certificate: Certificate
    /// The Peer service's `host:port`.
    public var peerEndpoint: String
    /// The HealthChain service's `host:port`.
    public var clientEndpoint: String
    /// Initial reputation in ppm; 0 for the default.
    public var initialReputationPPM: UInt32

    /// A validator input.
    public init(
      name: String, certificate: Certificate, peerEndpoint: String, clientEndpoint: String,
      initialReputationPPM: UInt32 = 0
    ) {
      self.name = name
      self.certificate = certificate
      self.peerEndpoint = peerEndpoint
      self.clientEndpoint = clientEndpoint
      self.initialReputationPPM = initialReputationPPM
    }
  }

  /// The network's name.
  public var chainID: String
  /// The network's start in ms since 1970.
  public var genesisTimeMs: UInt64
  /// The consortium CA certificate.
  public var ca: Certificate
  /// The parameters; zero fields take their defaults, and the genesis lists every effective value.
  public var params: ConsensusParams
  /// The validators, in bitmap order.
  public var validators: [ValidatorInput]
  /// The initial participants.
  public var participants: [GenesisParticipant]

  /// A builder; `genesisTimeMs` defaults to now.
  public init(
    chainID: String, ca: Certificate, validators: [ValidatorInput], participants: [GenesisParticipant] = [],
    params: ConsensusParams = ConsensusParams(), genesisTimeMs: UInt64? = nil
  ) {
    self.chainID = chainID
    self.ca = ca
    self.validators = validators
    self.participants = participants
    self.params = params
    self.genesisTimeMs = genesisTimeMs ?? UInt64(Date().timeIntervalSince1970 * 1000)
  }

  /// The checked genesis. Each validator certificate must be a node certificate issued by `ca` and
  /// valid now, with CN = its name and an Ed25519 key whose address is its UID.
  public func build(at date: Date = Date()) throws(GenesisError) -> ValidatedGenesis {
    guard ca.isCA else {
      throw GenesisError(field: "ca_certificate_pem", problem: "\(ca.subject) is not a CA certificate")
    }
    var entries: [GenesisValidator] = []
    for (index, input) in validators.enumerated() {
      let field = "validators[\(index)] (\(input.name))"
      do {
        try input.certificate.verify(issuedBy: ca, at: date, purpose: .tlsServer)
        try input.certificate.verify(issuedBy: ca, at: date, purpose: .tlsClient)
      } catch {
        throw GenesisError(field: field, problem: "certificate refused: \(error)")
      }
      guard input.certificate.commonName == input.name else {
        throw GenesisError(
          field: field,
          problem:
            "the certificate's CN is \"\(input.certificate.commonName ?? "")\", not \"\(input.name)\"; "
            + "name the validator as its certificate")
      }
      let key: Ed25519.PublicKey
      do {
        _ = try input.certificate.validatorID()
        guard let ed25519 = try input.certificate.publicKey.ed25519 else {
          throw CertificateError(.validatorIDMismatch, "the certificate's key is not Ed25519")
        }
        key = ed25519
      } catch {
        throw GenesisError(
          field: field,
          problem:
            "not a validator certificate (\(error)); issue an Ed25519 node certificate for the validator key")
      }
      entries.append(
        GenesisValidator(
          name: input.name, publicKey: key.rawRepresentation, peerEndpoint: input.peerEndpoint,
          clientEndpoint: input.clientEndpoint, initialReputationPPM: input.initialReputationPPM))
    }
    let genesis = Genesis(
      chainID: chainID, genesisTimeMs: genesisTimeMs, params: GenesisDefaults.effective(params),
      validators: entries, participants: participants, caCertificatePem: ca.pemRepresentation)
    return try ValidatedGenesis(genesis)
  }
}
