import ChainCrypto
import Foundation
import Wire

/// The checks of ``ValidatedGenesis``, one function per part.
enum GenesisChecks {
  static let ppmScale: UInt32 = 1_000_000

  static func params(_ p: ConsensusParams, validatorCount: Int) throws(GenesisError) {
    func fail(_ field: String, _ problem: String) -> GenesisError {
      GenesisError(field: "params.\(field)", problem: problem)
    }
    guard validatorCount >= Int(p.shardCount) else {
      throw fail(
        "shard_count",
        "\(p.shardCount) shards need at least \(p.shardCount) validators, and the genesis has \(validatorCount)"
      )
    }
    guard p.voteWindowMs < p.electionTimeoutMs else {
      throw fail(
        "vote_window_ms",
        "\(p.voteWindowMs) ms must be shorter than election_timeout_ms (\(p.electionTimeoutMs) ms)")
    }
    guard p.batchTimeoutMs < p.electionTimeoutMs else {
      throw fail(
        "batch_timeout_ms",
        "\(p.batchTimeoutMs) ms must be shorter than election_timeout_ms (\(p.electionTimeoutMs) ms)")
    }
    guard UInt64(p.maxTransactionBytes) <= p.maxBlockBytes else {
      throw fail(
        "max_transaction_bytes",
        "\(p.maxTransactionBytes) is larger than max_block_bytes (\(p.maxBlockBytes)); a transaction must fit in a block"
      )
    }
    let reputation = p.reputation ?? GenesisDefaults.reputation
    for (name, value) in [("lambda_ppm", reputation.lambdaPPM), ("initial_ppm", reputation.initialPPM)]
    where value > ppmScale {
      throw fail("reputation.\(name)", "\(value) is above 1,000,000 (1.0)")
    }
  }

  static func validators(
    _ list: [GenesisValidator], params: ConsensusParams
  ) throws(GenesisError) -> [ValidatedGenesis.Validator] {
    var result: [ValidatedGenesis.Validator] = []
    var names: [String: Int] = [:]
    var keys: [Ed25519.PublicKey: Int] = [:]
    var peers: [Endpoint: Int] = [:]
    var clients: [Endpoint: Int] = [:]
    for (index, entry) in list.enumerated() {
      func fail(_ field: String, _ problem: String) -> GenesisError {
        GenesisError(field: "validators[\(index)].\(field)", problem: problem)
      }
      guard NodeConfig.isValidName(entry.name) else {
        throw fail(
          "name", "\"\(entry.name)\" must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'")
      }
      if let earlier = names[entry.name] {
        throw fail("name", "\"\(entry.name)\" is also validators[\(earlier)]'s name; names are unique")
      }
      let key: Ed25519.PublicKey
      do {
        key = try Ed25519.PublicKey(rawRepresentation: entry.publicKey)
      } catch {
        throw fail("public_key", "not an Ed25519 public key: \(error)")
      }
      if let earlier = keys[key] {
        throw fail("public_key", "the same key as validators[\(earlier)] (\"\(list[earlier].name)\")")
      }
      let peer: Endpoint
      let client: Endpoint
      do {
        peer = try Endpoint(parsing: entry.peerEndpoint)
      } catch {
        throw fail("peer_endpoint", error.description)
      }
      do {
        client = try Endpoint(parsing: entry.clientEndpoint)
      } catch {
        throw fail("client_endpoint", error.description)
      }
      if let earlier = peers[peer] {
        throw fail("peer_endpoint", "\(peer) is also validators[\(earlier)]'s peer endpoint")
      }
      if let earlier = clients[client] {
        throw fail("client_endpoint", "\(client) is also validators[\(earlier)]'s client endpoint")
      }
      guard entry.initialReputationPPM <= ppmScale else {
        throw fail("initial_reputation_ppm", "\(entry.initialReputationPPM) is above 1,000,000 (1.0)")
      }
      names[entry.name] = index
      keys[key] = index
      peers[peer] = index
      clients[client] = index
      let initial =
        entry.initialReputationPPM != 0
        ? entry.initialReputationPPM : (params.reputation ?? GenesisDefaults.reputation).initialPPM
      result.append(
        ValidatedGenesis.Validator(
          index: index, name: entry.name, publicKey: key, address: key.address, peerEndpoint: peer,
          clientEndpoint: client, initialReputationPPM: initial))
    }
    return result
  }

  static func participants(_ list: [GenesisParticipant]) throws(GenesisError) {
    var keys: [Ed25519.PublicKey: Int] = [:]
    for (index, entry) in list.enumerated() {
      func fail(_ field: String, _ problem: String) -> GenesisError {
        GenesisError(field: "participants[\(index)].\(field)", problem: problem)
      }
      let key: Ed25519.PublicKey
      do {
        key = try Ed25519.PublicKey(rawRepresentation: entry.publicKey)
      } catch {
        throw fail("public_key", "not an Ed25519 public key: \(error)")
      }
      if let earlier = keys[key] {
        throw fail("public_key", "the same key as participants[\(earlier)]; each participant is listed once")
      }
      keys[key] = index
      guard entry.role.isAssignable else {
        throw fail("role", "\(entry.role.protoName ?? "\(entry.role.rawValue)") is not a participant role")
      }
      guard (1...128).contains(entry.organisation.utf8.count) else {
        throw fail("organisation", "must be 1 to 128 bytes, not \(entry.organisation.utf8.count)")
      }
      guard entry.displayName.utf8.count <= 128 else {
        throw fail("display_name", "must be at most 128 bytes, not \(entry.displayName.utf8.count)")
      }
    }
  }

  static func ca(_ pem: String) throws(GenesisError) -> Certificate {
    guard !pem.isEmpty else {
      throw GenesisError(field: "ca_certificate_pem", problem: "missing; put the consortium CA's ca.pem here")
    }
    let certificate: Certificate
    do {
      certificate = try Certificate(pemRepresentation: pem)
    } catch {
      throw GenesisError(field: "ca_certificate_pem", problem: "not a PEM certificate: \(error)")
    }
    guard certificate.isCA else {
      throw GenesisError(
        field: "ca_certificate_pem",
        problem: "\(certificate.subject) is not a CA certificate; use the consortium CA's ca.pem")
    }
    return certificate
  }
}
