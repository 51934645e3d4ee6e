import ChainCrypto
import Foundation
import Ledger
import Logging
import Synchronization
import Wire

@testable import Node

/// Several validators in one process, each a `NodeRuntime` with its own data directory, talking over
/// real mutual TLS on loopback ports, with certificates from a CA made at test time and a genesis whose
/// timeouts are short.
final class RuntimeCluster: @unchecked Sendable {
  let directory: String
  let validators: [Fixtures.Validator]
  let genesis: ValidatedGenesis
  /// Participants with a balance in the genesis, and their keys.
  let accounts: [Ed25519.PrivateKey]
  /// Registered patients of the genesis (no balance), `patientsPerShard` in each shard.
  let patients: [Ed25519.PrivateKey]
  private(set) var runtimes: [NodeRuntime?]

  /// Consensus parameters for tests: RBlocks every 300 ms, no epoch change during a test.
  static func params(shards: UInt32) -> ConsensusParams {
    ConsensusParams(
      shardCount: shards, epochLength: 10_000, rblockIntervalMs: 300, batchTimeoutMs: 20, voteWindowMs: 40,
      electionTimeoutMs: 800)
  }

  /// Initial balance of each account.
  static let balance: UInt64 = 1_000_000

  /// `count` validators in `shards` shards, `accounts` funded participants (hospitals) and
  /// `patientsPerShard` patients in each shard.
  init(validators count: Int = 4, shards: UInt32 = 2, accounts: Int = 8, patientsPerShard: Int = 0) throws {
    directory = Fixtures.temporaryDirectory("runtime")
    validators = try Fixtures.validators(count)
    let ports = try FreePorts.take(count)
    // At least `accounts` keys, and at least three in each shard.
    var keys: [Ed25519.PrivateKey] = []
    var perShard = [Int](repeating: 0, count: Int(shards))
    while keys.count < accounts || perShard.contains(where: { $0 < 3 }) {
      let key = try Ed25519.PrivateKey()
      keys.append(key)
      perShard[Int(Ledger.shard(of: key.publicKey.address, shardCount: shards))] += 1
    }
    self.accounts = keys
    var patients: [Ed25519.PrivateKey] = []
    var patientsIn = [Int](repeating: 0, count: Int(shards))
    while patientsIn.contains(where: { $0 < patientsPerShard }) {
      let key = try Ed25519.PrivateKey()
      let shard = Int(Ledger.shard(of: key.publicKey.address, shardCount: shards))
      guard patientsIn[shard] < patientsPerShard else { continue }
      patients.append(key)
      patientsIn[shard] += 1
    }
    self.patients = patients
    let builder = GenesisBuilder(
      chainID: "sehc-runtime-test", ca: Fixtures.ca.certificate,
      validators: validators.enumerated().map { index, validator in
        GenesisBuilder.ValidatorInput(
          name: validator.name, certificate: validator.certificate, peerEndpoint: "127.0.0.1:\(ports[index])",
          clientEndpoint: "127.0.0.1:\(ports[index] + 1)")
      },
      participants: keys.enumerated().map { index, key in
        GenesisParticipant(
          publicKey: key.publicKey.rawRepresentation, role: .hospital, organisation: "Hospital \(index)",
          displayName: "Hospital \(index)", balance: Self.balance)
      }
        + patients.enumerated().map { index, key in
          GenesisParticipant(
            publicKey: key.publicKey.rawRepresentation, role: .patient, organisation: "Patients",
            displayName: "Patient \(index)", balance: 0)
        },
      params: Self.params(shards: shards), genesisTimeMs: UInt64(Date().timeIntervalSince1970 * 1000))
    genesis = try builder.build()
    runtimes = Array(repeating: nil, count: count)
  }

  /// The runtime configuration of validator `index`: its data directory, its node certificate.
  func configuration(_ index: Int) throws -> NodeRuntimeConfiguration {
    let validator = validators[index]
    var logger = Logger(label: "runtime-test")
    logger.logLevel = ProcessInfo.processInfo.environment["SEHC_TEST_LOG"] == nil ? .error : .debug
    return NodeRuntimeConfiguration(
      genesis: genesis, validatorKey: validator.key,
      peerCertificatePEM: validator.certificate.pemRepresentation,
      peerKeyPEM: try validator.key.pemRepresentation, caPEM: Fixtures.ca.certificate.pemRepresentation,
      peerListen: genesis.validators[index].peerEndpoint, dataDirectory: directory + "/\(validator.name)",
      logger: logger)
  }

  /// Starts validator `index` from its data directory (new or left by an earlier run).
  @discardableResult
  func start(_ index: Int) async throws -> NodeRuntime {
    let runtime = try NodeRuntime(configuration: try configuration(index))
    try await runtime.start()
    runtimes[index] = runtime
    return runtime
  }

  func startAll() async throws {
    for index in validators.indices { try await start(index) }
  }

  /// Stops validator `index` (its data stays).
  func stop(_ index: Int) async {
    await runtimes[index]?.stop()
    runtimes[index] = nil
  }

  func stopAll() async {
    for index in validators.indices { await stop(index) }
  }

  /// The runtime of validator `index` (which must be running).
  func runtime(_ index: Int) -> NodeRuntime { runtimes[index]! }

  /// The indices of the validators serving `shard`.
  func members(of shard: UInt32) async -> [Int] {
    guard let any = runtimes.compactMap({ $0 }).first else { return [] }
    let assignment = await any.currentAssignment()
    let members = assignment.shards.first { $0.shard == shard }?.members ?? []
    return validators.indices.filter { members.contains(genesis.validators[$0].address.rawRepresentation) }
  }

  /// One line per validator on where it stands, for a failure message.
  func describe() async -> String {
    var lines: [String] = []
    for (index, runtime) in runtimes.enumerated() {
      guard let runtime else {
        lines.append("\(validators[index].name): stopped")
        continue
      }
      lines.append("\(validators[index].name): \(await runtime.validator.statusDescription)")
    }
    return lines.joined(separator: "\n")
  }

  /// The shard of an account.
  func shard(of key: Ed25519.PrivateKey) -> UInt32 {
    (try? ChainParameters(genesis: genesis.genesis).shard(of: key.publicKey.address)) ?? 0
  }

  /// A transfer signed by `sender`.
  func transfer(from sender: Ed25519.PrivateKey, to recipient: Address, amount: UInt64, nonce: UInt64) throws
    -> SignedTransaction
  {
    let body = TransactionBody(
      chainID: genesis.chainID, sender: sender.publicKey.address.rawRepresentation, nonce: nonce,
      createdAtMs: UInt64(Date().timeIntervalSince1970 * 1000),
      payload: .transfer(Transfer(recipient: recipient.rawRepresentation, amount: amount)))
    let bytes = try body.serializedData()
    let signature = try sender.sign(domain: .transaction, message: bytes)
    return SignedTransaction(
      body: bytes,
      signatures: [Signature(publicKey: sender.publicKey.rawRepresentation, signature: signature)])
  }

  deinit {
    try? FileManager.default.removeItem(atPath: directory)
  }
}

/// Loopback ports for test validators, handed out once per process from below the kernel's ephemeral
/// range (`net.ipv4.ip_local_port_range`).
///
/// Ports the kernel picks for `bind(port: 0)` and for outgoing connections come from the ephemeral range,
/// so a port taken there and released would be free for any parallel test (or a connection of it) to take
/// before the validator binds it, or while a killed validator is down. Below that range nothing in this
/// process takes a port unless it names it, and this allocator never names the same port twice.
enum FreePorts {
  private static let next = Mutex<Int?>(nil)

  /// `count` ports `p` for which both `p` and `p + 1` (the client port) can be bound now.
  static func take(_ count: Int) throws -> [Int] {
    let (low, high) = candidateRange()
    return try next.withLock { next in
      var port = next ?? low + Int(getpid() % 2_000) * 2
      var ports: [Int] = []
      var tried = 0
      while ports.count < count {
        if port + 1 >= high { port = low }
        tried += 1
        guard tried < (high - low) else { throw POSIXError(.EADDRINUSE) }
        if canBind(port), canBind(port + 1) { ports.append(port) }
        port += 2
      }
      next = port
      return ports
    }
  }

  /// Ports from 10000 to just below the ephemeral range (or to 32767 if it cannot be read).
  private static func candidateRange() -> (Int, Int) {
    let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
    let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    let ephemeralLow = bounds.first ?? 32_768
    return (10_000, max(ephemeralLow, 12_000))
  }

  private static func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
      }
    }
  }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
func eventually(
  timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
  let deadline = ContinuousClock.now + timeout
  while ContinuousClock.now < deadline {
    if try await condition() { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return try await condition()
}
