import ChainCrypto
import Consensus
import Foundation
import GRPCCore
import Ledger
import Logging
import RPC
import TLS
import Wire

/// A running validator: one consensus ``Validator`` driven with a real clock, the real ledger and blob
/// store, a durable consensus journal, a mempool, and the peer network over mutual TLS
/// (docs/protocol.md §8, DESIGN §7).
///
/// **Concurrency.** The runtime is an actor whose executor is a thread of its own
/// (``ThreadExecutor``). Each input is one `Validator.step` followed by carrying out its `Ready` in the
/// contract's order, all synchronous: records are fsync-ed, messages queued on the peer links, validations
/// and block applications run through the ledger, and their results are stepped in turn, before the
/// actor takes its next input. No step ever suspends half-way, so inputs never interleave, and the
/// blocking disk work stays off Swift's cooperative threads. Everything that waits (peer streams, sync
/// calls, the tick timer) runs in other tasks and enters the actor with a finished input.
///
/// **Restart.** Opening a runtime on an existing data directory rebuilds the validator from the journal,
/// the ledger's head and the blocks above the last RBlock coverage (``Validator/restartRequirement``),
/// then resumes it; blocks missed while down arrive by block sync.
///
/// Build one with ``init(configuration:)``, then ``start()``; ``stop()`` ends it.
public actor NodeRuntime {
  private nonisolated let executor: ThreadExecutor
  public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

  /// The network's genesis.
  public nonisolated let genesis: ValidatedGenesis
  /// This validator's address.
  public nonisolated let nodeAddress: Address
  /// The ledger store.
  public nonisolated let ledger: LedgerStore
  /// The blob store.
  public nonisolated let blobs: BlobStore

  nonisolated let hub = EventHub()
  nonisolated let identity: PeerIdentity
  nonisolated let parameters: ChainParameters
  let configuration: NodeRuntimeConfiguration
  let logger: Logger
  let clock = RuntimeClock()
  nonisolated let metrics = RuntimeMetrics()
  let journal: ConsensusJournal
  let chain: RuntimeLedger
  let network: PeerNetwork
  let serverTransport: RPCServerTransport
  var validator: Validator
  var mempool: Mempool
  let restarting: Bool
  var nextTickAt: UInt64?
  var syncing: Set<SyncRequest> = []
  /// Transactions whose target-side acknowledgement is being checked.
  var confirmingCrossShard: Set<Data> = []
  var server: GRPCServer<RPCServerTransport>?
  var tasks: [Task<Void, Never>] = []
  var state: RunState = .created

  enum RunState: Equatable {
    case created
    case running
    case halted(String)
    case stopped
  }

  /// Opens the data directory (ledger, journal, blobs), rebuilds the validator from it, and prepares the
  /// peer port and links. Nothing listens or dials before ``start()``.
  public init(configuration: NodeRuntimeConfiguration) throws(NodeRuntimeError) {
    let genesis = configuration.genesis
    let key = configuration.validatorKey
    let me = key.publicKey.address
    guard let entry = genesis.validator(address: me) else {
      throw .configuration("the validator key's address \(me) is not a validator of the genesis")
    }
    self.configuration = configuration
    self.genesis = genesis
    nodeAddress = me
    var logger = configuration.logger
    logger[metadataKey: "validator"] = "\(entry.name)"
    self.logger = logger
    identity = PeerIdentity(genesis: genesis)
    executor = ThreadExecutor(name: "sehc-runtime-\(entry.name)")
    mempool = Mempool(limits: configuration.mempool)

    let directory = configuration.dataDirectory
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      parameters = try ChainParameters(genesis: genesis.genesis)
      ledger = try LedgerStore(path: directory + "/ledger.sqlite")
      journal = try ConsensusJournal(path: directory + "/consensus.sqlite")
      let masterKey = try HKDF.deriveKey(
        inputKeyMaterial: SymmetricKey(data: key.rawRepresentation), info: Data("sehc/v1/blob-master".utf8),
        outputByteCount: AES256GCM.keyByteCount)
      blobs = try BlobStore(directory: directory + "/blobs", masterKey: masterKey)
    } catch {
      throw .storage("\(directory): \(error)")
    }

    let scheme = Ed25519SignatureScheme(knownKeys: genesis.genesis.validators.map(\.publicKey))
    let validatorConfiguration = ValidatorConfiguration(
      genesis: genesis.genesis, signer: Ed25519MessageSigner(key: key), scheme: scheme)
    do {
      let records = try journal.records()
      let requirement = Validator.restartRequirement(
        records: records, genesis: genesis.genesis, scheme: scheme, address: me)
      chain = try RuntimeLedger(
        store: ledger, blobs: blobs, genesis: genesis.genesis, shard: requirement.shard)
      try Self.storeMissingRBlocks(records: records, in: chain)
      let head = try chain.head()
      let recent = records.isEmpty ? [] : try chain.appliedBlocks(from: requirement.above)
      validator = Validator(
        configuration: validatorConfiguration,
        restart: RestartState(records: records, ledgerHead: head, recentBlocks: recent), now: clock.now())
      restarting = !records.isEmpty
    } catch {
      throw .storage("\(directory): cannot restore the validator: \(error)")
    }

    var tls = TLSConfiguration(
      certificateChainPEM: configuration.peerCertificatePEM, privateKeyPEM: configuration.peerKeyPEM,
      trustRootsPEM: configuration.caPEM, peerVerification: .required)
    do {
      network = try PeerNetwork(genesis: genesis, me: me, tls: tls, identity: identity, logger: logger)
      tls.peerVerifier = identity.verifier()
      var serverConfig = RPCServerTransport.Config.defaults
      serverConfig.rpc.maxRequestPayloadSize = PeerLimits.maxMessageBytes
      serverTransport = try RPCServerTransport(
        host: configuration.peerListen.host, port: configuration.peerListen.port, tls: tls,
        config: serverConfig)
    } catch {
      throw .configuration("the peer certificate, key or CA: \(error.reason)")
    }
  }

  /// Writes to the ledger the committed RBlocks the journal holds and the ledger lacks (a crash between
  /// the two writes).
  private static func storeMissingRBlocks(records: [String: Data], in chain: RuntimeLedger) throws {
    var height = try chain.storedRBlockHeight() + 1
    while let data = records["rblock/\(height)"] {
      try chain.store(rblock: try RBlock(serializedBytes: data))
      height += 1
    }
  }

  /// Serves the peer port, resumes consensus, dials the other validators and starts the clock.
  public func start() async throws(NodeRuntimeError) {
    guard state == .created else { return }
    let service = PeerService(
      runtime: self, identity: identity, registry: serverTransport.peers, store: ledger, blobs: blobs,
      shardCount: parameters.shardCount)
    let server = GRPCServer(transport: serverTransport, services: [service])
    self.server = server
    let logger = self.logger
    tasks.append(
      Task {
        do { try await server.serve() } catch {
          logger.error("the peer port stopped", metadata: ["error": "\(error)"])
        }
      })
    guard await serverTransport.listeningPort != nil else {
      server.beginGracefulShutdown()
      throw .network(
        "peer.listen: cannot listen on \(configuration.peerListen): the address is in use or not available here"
      )
    }
    state = .running
    let port = await serverTransport.listeningPort ?? 0
    logger.info("peer port listening", metadata: ["address": "\(configuration.peerListen.host):\(port)"])
    if restarting {
      logger.info(
        "resuming from disk",
        metadata: [
          "shard": "\(validator.currentShard)", "height": "\(validator.committedHeight)",
          "rblock": "\(validator.rblockHeight)",
        ])
      drive(validator.resume(now: clock.now()))
    } else {
      step(.tick)
    }
    network.start()
    tasks.append(Task { await self.runClock() })
  }

  /// The port the peer server listens on, once started.
  public var peerPort: Int? {
    get async { await serverTransport.listeningPort }
  }

  /// Stops consensus, the peer port and the links, and ends every ``events()`` stream. The data stays
  /// consistent on disk whenever this is called (or the process is killed instead).
  public func stop() async {
    guard state != .stopped else { return }
    state = .stopped
    for task in tasks.dropFirst() { task.cancel() }
    hub.finish()
    server?.beginGracefulShutdown()
    await network.stop()
    // Peers that keep running hold their Exchange streams to this server open: after a short grace the
    // server is cancelled, which ends them.
    if let serving = tasks.first {
      let grace = Task {
        try await Task.sleep(for: .seconds(1))
        serving.cancel()
      }
      await serving.value
      grace.cancel()
    }
    for task in tasks { await task.value }
    tasks = []
    logger.info("stopped")
  }

  /// Ticks the validator no later than its `nextTickAt` (checked every 10 ms at most, so an earlier tick
  /// asked for meanwhile is not missed by more than that).
  private func runClock() async {
    while !Task.isCancelled, state == .running {
      let now = clock.now()
      if let next = nextTickAt, now >= next {
        nextTickAt = nil
        step(.tick)
      }
      let wait = nextTickAt.map { $0 > now ? min($0 - now, 10) : 1 } ?? 10
      try? await Task.sleep(for: .milliseconds(wait))
    }
  }

  /// Stops taking inputs after a failure that must not be papered over (a record or block that cannot
  /// be written): the node behaves as crashed, and a restart recovers from what is on disk.
  func halt(_ reason: String) {
    guard state == .running else { return }
    logger.critical("halting: \(reason)")
    state = .halted(reason)
  }
}
