import ArgumentParser
import ChainCrypto
import Foundation
import Node
import Wire

/// `sehc genesis`: writes a network's genesis file.
struct GenesisCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "genesis",
    abstract: "Write a genesis file: chain id, parameters, validators, initial participants and CA.",
    discussion: """
      Each validator's public key is taken from its node certificate, which must be issued by the CA, \
      valid now, with CN = NAME and an Ed25519 key whose address is its UID (sehc cert issue --node). \
      Parameters left out take the defaults of docs/protocol.md §10; the file lists every effective \
      value. The output is the canonical proto3 JSON of sehc.v1.Genesis.

      Example:
        sehc genesis --chain-id sehc-devnet --ca ca \\
          --validator node-1=certs/node-1.pem,peer=10.0.0.1:7100,client=10.0.0.1:7200 \\
          --validator node-2=certs/node-2.pem,peer=10.0.0.2:7100,client=10.0.0.2:7200 \\
          --participant admin=keys/admin.key,org=Consortium,name=Administrator \\
          --shards 2 --out genesis.json
      """
  )

  @Option(help: ArgumentHelp("The network's name: 1 to 64 of a-z, 0-9, '-'.", valueName: "id"))
  var chainID: String

  @Option(help: ArgumentHelp("The CA directory (with ca.pem) or the CA certificate file.", valueName: "ca"))
  var ca: String

  @Option(
    name: .customLong("validator"),
    help: ArgumentHelp(
      "A validator, in bitmap order (repeat): NAME=CERT.pem,peer=HOST:PORT,client=HOST:PORT[,reputation=PPM].",
      valueName: "spec"))
  var validators: [String] = []

  @Option(
    name: .customLong("participant"),
    help: ArgumentHelp(
      "An initial participant (repeat): ROLE=KEY_OR_PEM,org=ORG[,name=DISPLAY NAME][,balance=N]. KEY_OR_PEM is "
        + "64 hex digits or a PEM public key, private key or certificate.",
      valueName: "spec"))
  var participants: [String] = []

  @OptionGroup(title: "Consensus parameters (default: docs/protocol.md §10)")
  var params: GenesisParamOptions

  @Option(help: ArgumentHelp("The network's start in ms since 1970 (default: now).", valueName: "ms"))
  var genesisTimeMs: UInt64?

  @Option(help: ArgumentHelp("The genesis file to write.", valueName: "file"))
  var out: String

  @Flag(help: "Replace the output file if it exists.")
  var force = false

  func run() async throws {
    try await reportingFailures("sehc genesis") {
      guard !validators.isEmpty else {
        throw CommandFailure.usage(
          "give at least one --validator NAME=CERT.pem,peer=HOST:PORT,client=HOST:PORT")
      }
      try params.checkNoZeros()
      let authority = try loadCA()
      let validatorInputs: [GenesisBuilder.ValidatorInput]
      let participantEntries: [GenesisParticipant]
      do {
        validatorInputs = try validators.map(GenesisSpecs.validator)
        participantEntries = try participants.map(GenesisSpecs.participant)
      } catch let error as GenesisSpecs.SpecError {
        throw CommandFailure.badData(error.description)
      }
      let builder = GenesisBuilder(
        chainID: chainID, ca: authority, validators: validatorInputs, participants: participantEntries,
        params: params.consensusParams, genesisTimeMs: genesisTimeMs)
      let genesis: ValidatedGenesis
      do {
        genesis = try builder.build()
      } catch {
        throw CommandFailure.badData("the genesis would be invalid: \(error)")
      }
      if !force && FileManager.default.fileExists(atPath: out) {
        throw CommandFailure.cannotCreate("\(out) already exists; choose another path or pass --force")
      }
      try writeOutput(Data((genesis.genesis.jsonString(pretty: true) + "\n").utf8), to: out)
      print(
        "wrote \(out): chain \(genesis.chainID), \(genesis.validators.count) validators in \(genesis.shardCount) shards, "
          + "\(genesis.genesis.participants.count) participants")
      print("genesis hash \(genesis.hash.hex)")
    }
  }

  private func loadCA() throws -> Certificate {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: ca, isDirectory: &isDirectory) else {
      throw CommandFailure.noInput(
        "--ca \(ca): no such file or directory; create a CA with: sehc ca init --dir \(ca)")
    }
    let path = isDirectory.boolValue ? CertificateAuthority.paths(in: ca).certificate : ca
    do {
      return try Certificate(contentsOfFile: path)
    } catch {
      throw CommandFailure.noInput("--ca \(ca): cannot read the CA certificate \(path): \(error)")
    }
  }
}

/// The consensus parameters of `sehc genesis`; each left out takes its default.
struct GenesisParamOptions: ParsableArguments {
  @Option(help: "Number of shards k (default 2; at most the number of validators).")
  var shards: UInt32?
  @Option(help: "RBlocks per epoch (default 10).")
  var epochLength: UInt32?
  @Option(help: "Time between RBlocks in ms (default 2000).")
  var rblockIntervalMs: UInt64?
  @Option(help: "Most entries per TBlock (default 2000).")
  var maxBlockEntries: UInt32?
  @Option(help: "Most entry bytes per TBlock (default 8388608).")
  var maxBlockBytes: UInt64?
  @Option(help: "Longest wait to fill a batch in ms (default 50).")
  var batchTimeoutMs: UInt64?
  @Option(help: "Vote window Δ in ms (default 100).")
  var voteWindowMs: UInt64?
  @Option(help: "TChain leader timeout in ms (default 1500).")
  var electionTimeoutMs: UInt64?
  @Option(help: "Most bytes of one serialized transaction (default 65536).")
  var maxTransactionBytes: UInt32?
  @Option(help: "Tokens shared by each RBlock (default 1000000).")
  var rewardPerRblock: UInt64?
  @Option(help: "Reputation α in ppm (default 1000000).")
  var alphaPpm: UInt32?
  @Option(help: "Reputation β in ppm (default 2000000).")
  var betaPpm: UInt32?
  @Option(help: "Reputation γ in ppm (default 500000).")
  var gammaPpm: UInt32?
  @Option(help: "Reputation δ in ppm (default 10000).")
  var deltaPpm: UInt32?
  @Option(help: "Reputation ε in ppm (default 50000).")
  var epsilonPpm: UInt32?
  @Option(help: "Reputation λ in ppm (default 900000).")
  var lambdaPpm: UInt32?
  @Option(help: "Initial reputation R₀ in ppm (default 500000).")
  var initialPpm: UInt32?

  /// Refuses explicit zeros (zero means "default" in the genesis, so it would be misleading).
  func checkNoZeros() throws {
    let given: [(String, UInt64?)] = [
      ("--shards", shards.map(UInt64.init)), ("--epoch-length", epochLength.map(UInt64.init)),
      ("--rblock-interval-ms", rblockIntervalMs), ("--max-block-entries", maxBlockEntries.map(UInt64.init)),
      ("--max-block-bytes", maxBlockBytes), ("--batch-timeout-ms", batchTimeoutMs),
      ("--vote-window-ms", voteWindowMs), ("--election-timeout-ms", electionTimeoutMs),
      ("--max-transaction-bytes", maxTransactionBytes.map(UInt64.init)),
      ("--reward-per-rblock", rewardPerRblock),
      ("--alpha-ppm", alphaPpm.map(UInt64.init)), ("--beta-ppm", betaPpm.map(UInt64.init)),
      ("--gamma-ppm", gammaPpm.map(UInt64.init)), ("--delta-ppm", deltaPpm.map(UInt64.init)),
      ("--epsilon-ppm", epsilonPpm.map(UInt64.init)), ("--lambda-ppm", lambdaPpm.map(UInt64.init)),
      ("--initial-ppm", initialPpm.map(UInt64.init)),
    ]
    for (option, value) in given where value == 0 {
      throw CommandFailure.usage("\(option) 0 is not a value; leave the option out to use the default")
    }
  }

  /// The parameters given, zero for those left out.
  var consensusParams: ConsensusParams {
    ConsensusParams(
      shardCount: shards ?? 0, epochLength: epochLength ?? 0, rblockIntervalMs: rblockIntervalMs ?? 0,
      maxBlockEntries: maxBlockEntries ?? 0, maxBlockBytes: maxBlockBytes ?? 0,
      batchTimeoutMs: batchTimeoutMs ?? 0,
      voteWindowMs: voteWindowMs ?? 0, electionTimeoutMs: electionTimeoutMs ?? 0,
      maxTransactionBytes: maxTransactionBytes ?? 0, rewardPerRblock: rewardPerRblock ?? 0,
      reputation: ReputationParams(
        alphaPPM: alphaPpm ?? 0, betaPPM: betaPpm ?? 0, gammaPPM: gammaPpm ?? 0, deltaPPM: deltaPpm ?? 0,
        epsilonPPM: epsilonPpm ?? 0, lambdaPPM: lambdaPpm ?? 0, initialPPM: initialPpm ?? 0))
  }
}
