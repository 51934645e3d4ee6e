import ChainCrypto
import Foundation
import Wire

@testable import Node

/// Shared fixtures: temporary directories, a CA, validators with node certificates, genesis files.
enum Fixtures {
  /// A new empty directory, removed when the process ends (best effort: tests clean up on exit).
  static func temporaryDirectory(_ function: String = #function) -> String {
    let name = "sehc-node-tests-\(function.filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(name)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  static let ca = try! CertificateAuthority.create(name: "Node Test CA", organization: "Node Tests")

  /// A validator's key and node certificate.
  struct Validator {
    var name: String
    var key: Ed25519.PrivateKey
    var certificate: Certificate
  }

  static func validator(_ name: String, by authority: CertificateAuthority = ca) throws -> Validator {
    let key = try Ed25519.PrivateKey()
    let certificate = try authority.issueNodeCertificate(
      name: name, publicKey: SubjectPublicKey(key.publicKey), hosts: ["localhost", "127.0.0.1"])
    return Validator(name: name, key: key, certificate: certificate)
  }

  /// `count` validators named node-1, node-2, ...
  static func validators(_ count: Int) throws -> [Validator] {
    try (1...count).map { try validator("node-\($0)") }
  }

  /// A builder for `validators` on loopback ports 7101.../7201...
  static func builder(
    _ validators: [Validator], chainID: String = "sehc-test", shards: UInt32 = 2,
    participants: [GenesisParticipant] = []
  ) -> GenesisBuilder {
    GenesisBuilder(
      chainID: chainID, ca: ca.certificate,
      validators: validators.enumerated().map { index, validator in
        GenesisBuilder.ValidatorInput(
          name: validator.name, certificate: validator.certificate, peerEndpoint: "127.0.0.1:\(7101 + index)",
          clientEndpoint: "127.0.0.1:\(7201 + index)")
      },
      participants: participants, params: ConsensusParams(shardCount: shards),
      genesisTimeMs: 1_700_000_000_000)
  }

  /// A checked genesis of `validators`.
  static func genesis(_ validators: [Validator], chainID: String = "sehc-test", shards: UInt32 = 2) throws
    -> ValidatedGenesis
  {
    try builder(validators, chainID: chainID, shards: shards).build()
  }
}

/// Runs `body` and returns the error it throws, or nil.
func caught<E: Error>(_ type: E.Type = E.self, _ body: () throws -> Void) -> E? {
  do {
    try body()
    return nil
  } catch let error as E {
    return error
  } catch {
    return nil
  }
}

/// Runs async `body` and returns the error it throws, or nil.
func caught<E: Error>(_ type: E.Type = E.self, _ body: () async throws -> Void) async -> E? {
  do {
    try await body()
    return nil
  } catch let error as E {
    return error
  } catch {
    return nil
  }
}
