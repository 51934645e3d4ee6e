import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus
@testable import Simulation

/// The load of `sehc simulate`: records, image manifests and grants besides transfers, each carried to
/// its counterparty's shard and accounted exactly once.
@Suite struct SimulateWorkloadTests {
  static func settings(_ configure: (inout SimulationSettings) -> Void = { _ in }) -> SimulationSettings {
    var s = SimulationSettings()
    s.nodes = 8
    s.shards = 2
    s.durationSeconds = 5
    s.settleSeconds = 4
    s.epochLength = 2
    s.rate = 60
    s.accounts = 32
    s.trials = 10
    configure(&s)
    return s
  }

  @Test func theMixParsesAndRefusesWhatItCannotRead() throws {
    let mix = try WorkloadMix(parsing: "records=40, images=10,grants=30,transfers=20")
    #expect(mix == .healthcare)
    #expect(try WorkloadMix(parsing: mix.description) == mix)
    #expect(try WorkloadMix(parsing: "image=1").kinds == [.image])
    for bad in ["records", "records=x", "records=-1", "scans=3", "records=0", ""] {
      #expect(throws: SimulateUsageError.self, "\(bad)") { try WorkloadMix(parsing: bad) }
    }
    let error = try #require(throws: SimulateUsageError.self) { try WorkloadMix(parsing: "scans=3") }
    #expect(error.description.contains("transfers=20,records=40"))
  }

  @Test func theMixFlagReachesTheSettings() throws {
    let options = try SimulateArguments.parse([
      "--mix", "grants=1,records=3", "--image-size", "4", "--out", "x",
    ])
    #expect(options.base.mix == WorkloadMix(records: 3, grants: 1))
    #expect(options.base.imageMaxMiB == 4)
    #expect(throws: SimulateUsageError.self) {
      try SimulateArguments.parse(["--mix", "grants", "--out", "x"])
    }
  }

  /// Every kind is submitted, accepted by its home shard, crosses shards and is carried out there;
  /// content waits for its upload; the accounting (exactly once per kind, records and grant copies
  /// where they belong) holds.
  @Test func aHealthcareLoadCommitsEveryKindAcrossShards() {
    let result = SimulationRunner.run(Self.settings { $0.bandwidthMbps = 200 })
    #expect(result.violations.isEmpty, "\(result.violations)")
    #expect(result.kinds.map(\.kind) == [.transfer, .record, .image, .grant])
    for kind in result.kinds {
      #expect(kind.submitted > 0 && kind.accepted > kind.submitted * 8 / 10, "\(kind)")
      #expect(kind.crossShard > 0, "\(kind)")
      // No account is closed: nothing is refused by members that joined a shard (every 2 RBlocks)
      // after a record's upload, which fetch the content before they vote; only an image too large to
      // fetch within the wait (16 MiB at 200 Mbit/s is 0.7 s) can be voted down by them.
      #expect(kind.aborted <= (kind.kind == .image ? kind.crossShard / 5 : 0), "\(kind)")
    }
    let images = result.kinds.first { $0.kind == .image }!
    let records = result.kinds.first { $0.kind == .record }!
    // 1 MiB or more at 200 Mbit/s is at least 42 ms on every link, a few KiB well under that.
    #expect(images.uploadLatency.p50 >= 42, "\(images.uploadLatency)")
    #expect(records.uploadLatency.p50 < images.uploadLatency.p50, "\(records.uploadLatency)")
    #expect(result.kinds.first { $0.kind == .grant }!.uploadLatency.count == 0)
    #expect(result.kinds.map(\.submitted).reduce(0, +) == result.counts.submitted)
  }

  /// Images of up to 64 MiB on 50 Mbit/s links take seconds to reach a majority: their uploads are
  /// slower than with 1 MiB images, and the votes are not held up behind them.
  @Test func largeImagesTakeTheirTimeOnNarrowLinks() {
    let small = SimulationRunner.run(
      Self.settings {
        $0.bandwidthMbps = 50; $0.imageMaxMiB = 1
      })
    let large = SimulationRunner.run(
      Self.settings {
        $0.bandwidthMbps = 50; $0.imageMaxMiB = 64
      })
    let smallImages = small.kinds.first { $0.kind == .image }!
    let largeImages = large.kinds.first { $0.kind == .image }!
    #expect(
      largeImages.uploadLatency.p50 > 4 * smallImages.uploadLatency.p50, "\(largeImages) vs \(smallImages)")
    let transfers = { (r: SimulationResult) in r.kinds.first { $0.kind == .transfer }!.commitLatency.p50 }
    #expect(transfers(large) < transfers(small) + 200, "\(transfers(large)) vs \(transfers(small))")
    #expect(small.violations.isEmpty && large.violations.isEmpty)
  }

  /// Closed accounts refuse every target side: records to them and grants to them are aborted by the
  /// counterparty's shard and compensated at home, exactly once, under crashes and a partition.
  @Test func refusedRecordsAndGrantsAreAbortedExactlyOnce() throws {
    var scenario = Scenario(name: "workload")
    scenario.validators = 6
    scenario.shards = 2
    scenario.activeMs = 6_000
    scenario.settleMs = 12_000
    scenario.workload.mix = .healthcare
    scenario.workload.ratePerSecond = 40
    scenario.workload.accounts = 10
    scenario.workload.closedAccounts = 3
    scenario.crashes = [Crash(node: 5, startMs: 1_000, endMs: 3_000)]
    scenario.partitions = [Partition(startMs: 2_000, endMs: 3_500, groups: [[0, 1]])]
    let simulator = Simulator(scenario: scenario, seed: 7)
    let report = simulator.run()
    #expect(report.passed, failureText(report))
    let kinds = SimulationRunner.kindResults(simulator.workload, mix: scenario.workload.mix)
    for kind in kinds where kind.kind != .image {
      // Images go to closed patients too, and are refused like records.
      #expect(kind.aborted > 0, "\(kind)")
    }
    // Every refused grant was revoked at home, and no grant copy is kept for it (in the most advanced
    // honest ledger of each shard: a validator keeps the ledger of a shard it left as it was then).
    func latest(_ shard: UInt32) -> ShardLedger? {
      simulator.nodes.filter(\.isHonest).compactMap { $0.ledger.shards[shard] }.max { $0.height < $1.height }
    }
    let closed = simulator.workload.closed
    var refused = 0
    for id in simulator.workload.order {
      let submitted = simulator.workload.submitted[id]!
      guard submitted.kind == .grant, submitted.home != submitted.target,
        let grant = ToyTransaction(submitted.transaction), closed.contains(grant.counterparty),
        let home = latest(submitted.home), home.state.home[id] != nil
      else { continue }
      refused += 1
      #expect(home.state.home[id] == .compensated, "grant \(id.hexShort)")
      #expect(latest(submitted.target).map { !$0.state.grantCopies.contains(id) } ?? true)
    }
    #expect(refused > 0)
  }

  /// A voter that lacks a record's content votes it invalid; applying a decided block does not ask.
  @Test func aVoterWithoutTheContentVotesTheRecordInvalid() throws {
    let patient = Data(repeating: 7, count: 20)
    let author = Data(repeating: 9, count: 20)
    let rules = ToyRules(shardCount: 1, chainID: "sim", closed: [])
    var body = TransactionBody(chainID: "sim", sender: author, nonce: 1, createdAtMs: 0)
    body.payload = .putRecord(PutRecord(patient: patient, kind: "lab-report", mediaType: "text/plain"))
    let tx = SignedTransaction(body: try body.serializedData())
    let entry = CheckedEntry(
      bytes: Data(), entry: TBlockEntry(entry: .transaction(tx)), invalidReason: nil, receiptProof: nil)
    var state = ToyState()
    #expect(!rules.execute(entry, index: 0, shard: 0, state: &state, holdsContent: { _ in false }).valid)
    #expect(state.records.isEmpty)
    #expect(rules.execute(entry, index: 0, shard: 0, state: &state, holdsContent: { _ in true }).valid)
    #expect(state.records.count == 1 && state.records.values.first == false)
    var applied = ToyState()
    #expect(rules.execute(entry, index: 0, shard: 0, state: &applied).valid)
    #expect(applied.root == state.root)
  }
}
