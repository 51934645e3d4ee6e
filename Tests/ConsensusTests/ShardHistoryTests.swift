import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Consensus

/// The shard history every member keeps above its last coverage: two members that applied the same blocks
/// report the same coverage and counts, whichever way each reached them.
@Suite("ShardHistory: reports of members that reached the same blocks differently")
struct ShardHistoryTests {
  private static let members = (1...2).map { Address(bytes: Data(repeating: UInt8($0), count: 20))! }

  /// The coverage before the first block.
  private static let start = ShardCoverage(
    shard: 0, fromHeight: 1, toHeight: 0, tblockHash: Data(count: 32), stateRoot: Data(count: 32),
    receiptsRoot: Bytes.emptyTreeRoot, receiptsEmitted: 0, receiptsDecided: 0)

  /// A block at `height` committed in `view`, with no entries and no certificate.
  private static func block(height: UInt64, view: UInt64) -> (TBlock, TBlockHeader, Data, ApplyResult) {
    let header = TBlockHeader(
      chainID: "history-test", shard: 0, epoch: 0, view: view, height: height, previousHash: Data(count: 32),
      entriesRoot: Bytes.emptyTreeRoot, entryCount: 0, timestampMs: 1_000 * height,
      proposer: members[Int(view) % members.count].rawRepresentation, parentStateRoot: Data(count: 32),
      rblockHeight: 0)
    let bytes = try! header.serializedData()
    let hash = SHA256.hash(bytes).data
    let result = ApplyResult(
      shard: 0, height: height, blockHash: hash, stateRoot: Data(repeating: UInt8(height), count: 32),
      emitted: [],
      receiptsDecided: 0)
    return (TBlock(header: bytes), header, hash, result)
  }

  private static func append(_ history: inout ShardHistory, height: UInt64, view: UInt64) {
    let (block, header, hash, result) = block(height: height, view: view)
    history.append(block: block, header: header, hash: hash, result: result, members: members)
  }

  @Test("a member that fell behind the coverage counts leader timeouts from the covered block's view")
  func laggingMemberAgreesOnTimeouts() throws {
    // Block 3 committed in view 3, block 4 in view 5: leaders of views 3 and 4 timed out before block 4.
    let (_, _, hash3, result3) = Self.block(height: 3, view: 3)
    let coverage = ShardCoverage(
      shard: 0, fromHeight: 1, toHeight: 3, tblockHash: hash3, stateRoot: result3.stateRoot,
      receiptsRoot: Bytes.emptyTreeRoot, receiptsEmitted: 0, receiptsDecided: 0)

    // The member that was up to date had blocks 1…3 in its history when the RBlock covered them.
    var upToDate = ShardHistory(shard: 0, anchor: Self.start, anchorEpochView: nil)
    for height in 1...3 { Self.append(&upToDate, height: UInt64(height), view: UInt64(height)) }
    upToDate.advance(to: coverage)
    Self.append(&upToDate, height: 4, view: 5)

    // The lagging member learned the coverage before it applied block 3, then caught up.
    var lagging = ShardHistory(shard: 0, anchor: Self.start, anchorEpochView: nil)
    Self.append(&lagging, height: 1, view: 1)
    lagging.advance(to: coverage)
    #expect(lagging.anchorEpochView == nil)
    Self.append(&lagging, height: 2, view: 2)
    Self.append(&lagging, height: 3, view: 3)
    #expect(lagging.anchorEpochView == ChainHead.EpochView(epoch: 0, view: 3))
    Self.append(&lagging, height: 4, view: 5)

    let expected = try #require(upToDate.report(upTo: 4, members: Self.members))
    let reported = try #require(lagging.report(upTo: 4, members: Self.members))
    #expect(reported.coverage == expected.coverage)
    #expect(reported.counts == expected.counts)
    let timeouts = Self.members.map { expected.counts[$0]?.timeouts ?? 0 }
    #expect(timeouts.reduce(0, +) == 2, "views 3 and 4 timed out, not 0 to 4")
  }
}
