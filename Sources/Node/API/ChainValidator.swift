import ChainCrypto
import Foundation
import Ledger
import Wire

/// Re-verifies the chains this node stores (`ValidateChain`): for each held shard's TChain, every
/// block's header, link, proposer signature, entries root, commit certificate and decision bits
/// (`TBlocks.verify` against its epoch's members), and, replaying the blocks from the genesis state,
/// each stored state root; for the RChain, every block's link, coverage and certificate
/// (`RBlocks.verify`). A shard installed from a snapshot is checked from its first stored block, its
/// state roots as stored.
struct ChainValidator {
  let context: APIContext
  private let pageSize = 100

  /// A failed check at `height`.
  private struct Failure: Error {
    var height: UInt64
    var detail: String
  }

  func validate() async -> ValidateChainResponse {
    var chains: [ChainValidation] = []
    for shard in await context.backend.heldShards() {
      chains.append(await tchain(shard))
    }
    chains.append(await rchain())
    return ValidateChainResponse(valid: chains.allSatisfy(\.valid), chains: chains)
  }

  /// The assignments of epochs up to `epoch` that the backend knows, added to `directory`.
  private func extend(_ directory: inout MembershipDirectory, to epoch: UInt64, height: UInt64) async throws {
    guard directory.assignments[epoch] == nil else { return }
    guard let assignment = await context.backend.assignment(epoch: epoch) else {
      throw Failure(height: height, detail: "this node knows no shard assignment of epoch \(epoch)")
    }
    do { try directory.add(assignment) } catch {
      throw Failure(height: height, detail: "the assignment of epoch \(epoch): \(error)")
    }
  }

  private func tchain(_ shard: UInt32) async -> ChainValidation {
    await check(ChainValidation(rchain: false, shard: shard), naming: { "block \(shard)/\($0)" }) { result in
      let genesis = context.genesis.genesis
      let ledger = context.ledger
      var directory = try MembershipDirectory(validators: genesis.validators)
      guard let first = try ledger.tblocks(shard: shard, from: 1, limit: 1).first else { return }
      let firstHeight = try TBlockHeader(serializedBytes: first.header).height
      var state: ShardState? = firstHeight == 1 ? try GenesisState.state(for: genesis, shard: shard) : nil
      var parent: TBlocks.Parent? = state.map { TBlocks.Parent.genesis(stateRoot: $0.stateRoot) }
      var next = firstHeight
      while true {
        let page = try ledger.tblocks(shard: shard, from: next, limit: pageSize)
        guard !page.isEmpty else { break }
        for block in page {
          let header = try TBlockHeader(serializedBytes: block.header)
          try await extend(&directory, to: header.epoch, height: header.height)
          guard let members = directory.members(shard: shard, epoch: header.epoch) else {
            throw Failure(
              height: header.height, detail: "shard \(shard) has no members in epoch \(header.epoch)")
          }
          let verified: TBlocks.VerifiedBlock
          do {
            verified = try TBlocks.verify(
              block, parameters: context.parameters, members: members, parent: parent)
          } catch {
            throw Failure(height: header.height, detail: "\(error)")
          }
          let stored = try ledger.stateRoot(shard: shard, height: header.height)
          var root = stored ?? Data()
          if var replayed = state {
            let rewards =
              header.rblockHeight > replayed.rewardsHeight
              ? try ledger.rblockHeaders(from: replayed.rewardsHeight + 1, to: header.rblockHeight) : []
            let blockContext = BlockContext(
              parameters: context.parameters, header: header, blockHash: verified.header.hash,
              membership: directory, rewardBlocks: rewards)
            let outcome: BlockOutcome
            do {
              outcome = try LedgerExecutor.apply(
                LedgerExecutor.prepare(entries: block.entries, context: blockContext),
                decisions: verified.decision, context: blockContext, state: replayed)
            } catch {
              throw Failure(height: header.height, detail: "replaying the block failed: \(error)")
            }
            replayed.apply(outcome.changes)
            guard outcome.stateRoot.data == stored else {
              throw Failure(
                height: header.height,
                detail: "the replayed state root \(outcome.stateRoot) differs from the stored "
                  + "\(stored?.hexString ?? "(none)")")
            }
            root = outcome.stateRoot.data
            state = replayed
          }
          parent = TBlocks.Parent(
            height: header.height, hash: verified.header.hash.data, timestampMs: header.timestampMs,
            rblockHeight: header.rblockHeight, stateRoot: root)
          result.blocksChecked += 1
        }
        next += UInt64(page.count)
      }
    }
  }

  private func rchain() async -> ChainValidation {
    await check(ChainValidation(rchain: true), naming: { "RBlock \($0)" }) { result in
      let ledger = context.ledger
      var directory = try MembershipDirectory(validators: context.genesis.genesis.validators)
      var previous: (header: RBlockHeader, hash: SHA256Digest)?
      var next: UInt64 = 1
      while true {
        let page = try ledger.rblocks(from: next, limit: pageSize)
        guard !page.isEmpty else { break }
        for block in page {
          let header = try RBlockHeader(serializedBytes: block.header)
          try await extend(&directory, to: header.epoch, height: header.height)
          guard let assignment = directory.assignments[header.epoch] else {
            throw Failure(height: header.height, detail: "no assignment of epoch \(header.epoch)")
          }
          do {
            _ = try RBlocks.verify(
              block, chainID: context.genesis.chainID, membership: directory, assignment: assignment,
              previous: previous)
          } catch {
            throw Failure(height: header.height, detail: "\(error)")
          }
          previous = (header, BlockHashes.hash(header: block.header))
          result.blocksChecked += 1
        }
        next += UInt64(page.count)
      }
    }
  }

  /// Runs `walk` over one chain (it counts in `blocksChecked` the blocks that passed) and records how it
  /// ended: valid, or the first bad height, named by `name` in the message.
  private func check(
    _ start: ChainValidation, naming name: (UInt64) -> String,
    _ walk: (inout ChainValidation) async throws -> Void
  ) async -> ChainValidation {
    var result = start
    do {
      try await walk(&result)
      result.valid = true
    } catch let failure as Failure {
      result.error = "\(name(failure.height)): \(failure.detail)"
      result.firstBadHeight = failure.height
    } catch {
      result.error = "after \(name(result.blocksChecked)): \(error)"
      result.firstBadHeight = result.blocksChecked + 1
    }
    return result
  }
}
