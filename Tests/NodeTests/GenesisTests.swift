import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Node

@Suite("Genesis: validation, effective parameters, builder and specs")
struct GenesisTests {
  static let validators = try! Fixtures.validators(3)

  func valid() throws -> Genesis {
    try Fixtures.genesis(Self.validators).genesis
  }

  func problem(_ change: (inout Genesis) -> Void) throws -> String? {
    var genesis = try valid()
    change(&genesis)
    return caught(GenesisError.self) { _ = try ValidatedGenesis(genesis) }?.description
  }

  @Test("zero parameters take the defaults of docs/protocol.md §10")
  func defaults() {
    let effective = GenesisDefaults.effective(nil)
    #expect(effective == GenesisDefaults.consensus)
    #expect(effective.shardCount == 2 && effective.epochLength == 10 && effective.rblockIntervalMs == 2000)
    #expect(effective.maxBlockEntries == 2000 && effective.maxBlockBytes == 8 << 20)
    #expect(
      effective.batchTimeoutMs == 50 && effective.voteWindowMs == 100 && effective.electionTimeoutMs == 1500)
    #expect(effective.maxTransactionBytes == 65536 && effective.rewardPerRblock == 1_000_000)
    let r = effective.reputation!
    #expect(
      [r.alphaPPM, r.betaPPM, r.gammaPPM, r.deltaPPM, r.epsilonPPM, r.lambdaPPM, r.initialPPM] == [
        1_000_000, 2_000_000, 500_000, 10_000, 50_000, 900_000, 500_000,
      ])
    let partial = GenesisDefaults.effective(
      ConsensusParams(shardCount: 4, voteWindowMs: 7, reputation: ReputationParams(betaPPM: 3)))
    #expect(partial.shardCount == 4 && partial.voteWindowMs == 7 && partial.epochLength == 10)
    #expect(partial.reputation?.betaPPM == 3 && partial.reputation?.alphaPPM == 1_000_000)
  }

  @Test("a valid genesis: validators decoded, lookups, hash of the serialized Genesis")
  func validGenesis() throws {
    let genesis = try ValidatedGenesis(try valid())
    #expect(genesis.chainID == "sehc-test" && genesis.shardCount == 2)
    #expect(genesis.validators.map(\.name) == ["node-1", "node-2", "node-3"])
    #expect(genesis.validators[1].address == Self.validators[1].key.address)
    #expect(genesis.validators[2].peerEndpoint == Endpoint(host: "127.0.0.1", port: 7103))
    #expect(genesis.validators[0].initialReputationPPM == 500_000)
    #expect(genesis.validator(named: "node-2")?.index == 1)
    #expect(genesis.validator(address: Self.validators[2].key.address)?.name == "node-3")
    #expect(genesis.hash == SHA256.hash(try genesis.genesis.serializedData()))
    #expect(genesis.caCertificate == Fixtures.ca.certificate)
  }

  @Test("every check names its field")
  func checks() throws {
    let cases: [(String, (inout Genesis) -> Void)] = [
      ("chain_id: \"\" is 0 bytes", { $0.chainID = "" }),
      ("chain_id: \"Sehc\" contains \"S\"", { $0.chainID = "Sehc" }),
      (
        "chain_id: \"\(String(repeating: "a", count: 65))\" is 65 bytes",
        { $0.chainID = String(repeating: "a", count: 65) }
      ),
      ("genesis_time_ms: missing", { $0.genesisTimeMs = 0 }),
      (
        "params.shard_count: 4 shards need at least 4 validators, and the genesis has 3",
        { $0.params?.shardCount = 4 }
      ),
      (
        "params.vote_window_ms: 2000 ms must be shorter than election_timeout_ms",
        { $0.params?.voteWindowMs = 2000 }
      ),
      ("params.batch_timeout_ms: 1500 ms must be shorter", { $0.params?.batchTimeoutMs = 1500 }),
      (
        "params.max_transaction_bytes: 9000000 is larger than max_block_bytes",
        { $0.params?.maxTransactionBytes = 9_000_000 }
      ),
      ("params.reputation.lambda_ppm: 1000001 is above", { $0.params?.reputation?.lambdaPPM = 1_000_001 }),
      ("validators[1].name: \"node-1\" is also validators[0]'s name", { $0.validators[1].name = "node-1" }),
      ("validators[0].name: \"\" must be", { $0.validators[0].name = "" }),
      (
        "validators[2].public_key: the same key as validators[0] (\"node-1\")",
        { $0.validators[2].publicKey = $0.validators[0].publicKey }
      ),
      (
        "validators[0].public_key: not an Ed25519 public key",
        { $0.validators[0].publicKey = Data(count: 31) }
      ),
      ("validators[1].peer_endpoint: \"nowhere\" has no port", { $0.validators[1].peerEndpoint = "nowhere" }),
      ("validators[1].client_endpoint: \"h:0\" has port \"0\"", { $0.validators[1].clientEndpoint = "h:0" }),
      (
        "validators[1].peer_endpoint: 127.0.0.1:7101 is also validators[0]'s",
        { $0.validators[1].peerEndpoint = "127.0.0.1:7101" }
      ),
      (
        "validators[2].client_endpoint: 127.0.0.1:7201 is also",
        { $0.validators[2].clientEndpoint = "127.0.0.1:7201" }
      ),
      (
        "validators[0].initial_reputation_ppm: 2000000 is above",
        { $0.validators[0].initialReputationPPM = 2_000_000 }
      ),
      ("ca_certificate_pem: missing", { $0.caCertificatePem = "" }),
      (
        "ca_certificate_pem: not a PEM certificate",
        { $0.caCertificatePem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }
      ),
      (
        "ca_certificate_pem: CN=node-1, UID=\(GenesisTests.validators[0].key.address.hex) is not a CA certificate",
        { $0.caCertificatePem = GenesisTests.validators[0].certificate.pemRepresentation }
      ),
    ]
    for (expected, change) in cases {
      let message = try problem(change)
      #expect(message?.hasPrefix(expected) == true, "expected \(expected), got \(message ?? "no error")")
    }
  }

  @Test("participants are checked")
  func participants() throws {
    let key = try Ed25519.PrivateKey().publicKey.rawRepresentation
    let good = GenesisParticipant(publicKey: key, role: .admin, organisation: "Consortium")
    #expect(try problem { $0.participants = [good] } == nil)
    var twice = good
    twice.role = .hospital
    #expect(
      try problem { $0.participants = [good, twice] }?.hasPrefix("participants[1].public_key: the same key")
        == true)
    var noRole = good
    noRole.role = .unspecified
    #expect(
      try problem { $0.participants = [noRole] }
        == "participants[0].role: ROLE_UNSPECIFIED is not a participant role")
    var noOrg = good
    noOrg.organisation = ""
    #expect(
      try problem { $0.participants = [noOrg] }
        == "participants[0].organisation: must be 1 to 128 bytes, not 0")
    var longName = good
    longName.displayName = String(repeating: "x", count: 129)
    #expect(
      try problem { $0.participants = [longName] }
        == "participants[0].display_name: must be at most 128 bytes, not 129")
  }

  @Test("the builder refuses certificates of another CA, a wrong name and a P-256 key")
  func builderChecks() throws {
    let otherCA = try CertificateAuthority.create(name: "Other CA")
    let stranger = try Fixtures.validator("node-9", by: otherCA)
    var builder = Fixtures.builder([Self.validators[0], stranger], shards: 1)
    var message = caught(GenesisError.self) { _ = try builder.build() }?.description
    #expect(message?.hasPrefix("validators[1] (node-9): certificate refused:") == true, "\(message ?? "")")

    builder = Fixtures.builder(Self.validators, shards: 1)
    builder.validators[1].name = "node-7"
    message = caught(GenesisError.self) { _ = try builder.build() }?.description
    #expect(
      message
        == "validators[1] (node-7): the certificate's CN is \"node-2\", not \"node-7\"; name the validator as its certificate"
    )

    let p256 = try CertificateKey(generating: .p256)
    let gateway = try Fixtures.ca.issueNodeCertificate(
      name: "gw", publicKey: p256.publicKey, hosts: ["localhost"])
    builder = Fixtures.builder(Self.validators, shards: 1)
    builder.validators[0] = GenesisBuilder.ValidatorInput(
      name: "gw", certificate: gateway, peerEndpoint: "h:1", clientEndpoint: "h:2")
    message = caught(GenesisError.self) { _ = try builder.build() }?.description
    #expect(message?.hasPrefix("validators[0] (gw): not a validator certificate") == true, "\(message ?? "")")
  }

  @Test("specs: validators and participants from the command-line forms")
  func specs() throws {
    let directory = Fixtures.temporaryDirectory()
    let certificatePath = directory + "/node-1.pem"
    try Self.validators[0].certificate.write(toFile: certificatePath)
    let validator = try GenesisSpecs.validator(
      "node-1=\(certificatePath),peer=10.0.0.1:7100,client=[::1]:7200,reputation=600000")
    #expect(validator.name == "node-1" && validator.peerEndpoint == "10.0.0.1:7100")
    #expect(validator.clientEndpoint == "[::1]:7200" && validator.initialReputationPPM == 600_000)
    #expect(validator.certificate == Self.validators[0].certificate)

    let key = try Ed25519.PrivateKey()
    let keyPath = directory + "/admin.key"
    try key.write(toFile: keyPath)
    let admin = try GenesisSpecs.participant("admin=\(keyPath),org=St. Mary's, London,name=Ada,balance=42")
    #expect(admin.role == .admin && admin.organisation == "St. Mary's, London" && admin.displayName == "Ada")
    #expect(admin.balance == 42 && admin.publicKey == key.publicKey.rawRepresentation)
    let hex = key.publicKey.rawRepresentation.map { String(format: "%02x", $0) }.joined()
    #expect(try GenesisSpecs.participant("lab=\(hex),org=Lab").publicKey == key.publicKey.rawRepresentation)
    let publicPath = directory + "/admin.pub"
    try key.publicKey.pemRepresentation.write(toFile: publicPath, atomically: true, encoding: .utf8)
    #expect(try GenesisSpecs.participant("patient=\(publicPath),org=Self").role == .patient)

    let refusals: [(String, String)] = [
      ("node-1", "\"node-1\" does not start with KEY=VALUE"),
      ("node-1=\(certificatePath),peer=h:1", "has no client="),
      (
        "node-1=\(certificatePath),peer=h:1,client=h:2,reputation=2000000",
        "reputation=2000000 is not a ppm value"
      ),
      (
        "node-1=/nonexistent.pem,peer=h:1,client=h:2",
        "validator node-1: cannot read certificate /nonexistent.pem"
      ),
    ]
    for (spec, expected) in refusals {
      let message = caught(GenesisSpecs.SpecError.self) { _ = try GenesisSpecs.validator(spec) }?.description
      #expect(message?.contains(expected) == true, "\(spec): \(message ?? "no error")")
    }
    let participantRefusals: [(String, String)] = [
      (
        "boss=\(hex),org=X",
        "\"boss\" is not a role; use one of patient, clinician, hospital, lab, auditor, admin"
      ),
      ("admin=\(hex)", "needs org="),
      ("admin=\(hex),org=X,balance=-3", "balance=-3 is not a whole number"),
      ("admin=abc,org=X", "abc is neither 64 hex digits of a public key nor a PEM file"),
      ("admin=\(hex),org=X,org=Y", "gives org= twice"),
    ]
    for (spec, expected) in participantRefusals {
      let message = caught(GenesisSpecs.SpecError.self) { _ = try GenesisSpecs.participant(spec) }?
        .description
      #expect(message?.contains(expected) == true, "\(spec): \(message ?? "no error")")
    }
  }

  @Test("round trip: built, written as canonical JSON, loaded back identical")
  func roundTrip() throws {
    let participant = GenesisParticipant(
      publicKey: try Ed25519.PrivateKey().publicKey.rawRepresentation, role: .hospital,
      organisation: "General",
      displayName: "General Hospital", balance: 7)
    let built = try Fixtures.builder(Self.validators, participants: [participant]).build()
    #expect(built.genesis.params == GenesisDefaults.consensus, "the file lists every effective value")
    let path = Fixtures.temporaryDirectory() + "/genesis.json"
    try built.genesis.jsonString(pretty: true).write(toFile: path, atomically: true, encoding: .utf8)
    let loaded = try ValidatedGenesis.load(path: path)
    #expect(loaded.genesis == built.genesis)
    #expect(loaded.hash == built.hash)
    #expect(loaded.validators == built.validators)
  }

  @Test("load names the file in every error")
  func loadErrors() throws {
    let directory = Fixtures.temporaryDirectory()
    let missing = caught(GenesisError.self) { _ = try ValidatedGenesis.load(path: directory + "/none.json") }
    #expect(
      missing?.description
        == "\(directory)/none.json: no such file; write one with: sehc genesis ... --out \(directory)/none.json"
    )
    let path = directory + "/bad.json"
    try #"{"chainId": "x", "validatorz": []}"#.write(toFile: path, atomically: true, encoding: .utf8)
    let bad = caught(GenesisError.self) { _ = try ValidatedGenesis.load(path: path) }?.description
    #expect(bad?.hasPrefix("\(path): not a sehc.v1.Genesis in proto3 JSON:") == true, "\(bad ?? "")")
    var genesis = try valid()
    genesis.chainID = "UPPER"
    try genesis.jsonString().write(toFile: path, atomically: true, encoding: .utf8)
    let invalid = caught(GenesisError.self) { _ = try ValidatedGenesis.load(path: path) }?.description
    #expect(invalid?.hasPrefix("\(path): chain_id: \"UPPER\" contains \"U\"") == true, "\(invalid ?? "")")
  }
}
