import ChainCrypto
import Consensus
import Foundation
import Wire

extension NodeRuntime {
  /// What a finished sync brought.
  enum SyncOutcome: Sendable {
    case tblocks(shard: UInt32, blocks: [TBlock])
    case rblocks([RBlock])
    case state(shard: UInt32, chunks: [StateSnapshotChunk], block: TBlock, stateRoot: Data)
    case nothing
  }

  /// Fetches what `request` asks for from its peers in a task of its own (one at a time per request),
  /// then steps the result.
  func startSync(_ request: SyncRequest) {
    if case .state(let shard, 0, _, _, _) = request {
      Task { self.installGenesisState(of: shard) }
      return
    }
    guard !syncing.contains(request) else { return }
    syncing.insert(request)
    let network = self.network
    let me = nodeAddress
    Task {
      let outcome = await Self.fetch(request, network: network, me: me)
      self.finishSync(request, outcome)
    }
  }

  private static func fetch(_ request: SyncRequest, network: PeerNetwork, me: Address) async -> SyncOutcome {
    switch request {
    case .tblocks(let shard, let from, let to, let peers):
      let blocks = await network.tblocks(shard: shard, from: from, to: to, peers: peers.filter { $0 != me })
      return blocks.isEmpty ? .nothing : .tblocks(shard: shard, blocks: blocks)
    case .rblocks(let from, let to, let peers):
      let blocks = await network.rblocks(from: from, to: to, peers: peers.filter { $0 != me })
      return blocks.isEmpty ? .nothing : .rblocks(blocks)
    case .state(let shard, let height, let blockHash, let stateRoot, let peers):
      guard
        let snapshot = await network.snapshot(
          shard: shard, height: height, blockHash: blockHash, peers: peers.filter { $0 != me })
      else { return .nothing }
      return .state(shard: shard, chunks: snapshot.chunks, block: snapshot.block, stateRoot: stateRoot)
    }
  }

  private func finishSync(_ request: SyncRequest, _ outcome: SyncOutcome) {
    syncing.remove(request)
    guard state == .running else { return }
    switch outcome {
    case .tblocks(let shard, let blocks):
      step(.tblocksSynced(shard: shard, blocks: blocks))
    case .rblocks(let blocks):
      step(.rblocksSynced(blocks))
    case .state(let shard, let chunks, let block, let stateRoot):
      do {
        let head = try chain.install(shard: shard, chunks: chunks, block: block, stateRoot: stateRoot)
        logger.info("installed a state snapshot", metadata: ["shard": "\(shard)"])
        step(.stateInstalled(head))
      } catch {
        logger.warning(
          "a peer's state snapshot does not install", metadata: ["shard": "\(shard)", "error": "\(error)"])
      }
    case .nothing:
      logger.debug("no peer answered a sync request", metadata: ["request": "\(request)"])
    }
  }

  /// A validator moving to a shard that has no block yet starts from its genesis state.
  private func installGenesisState(of shard: UInt32) {
    do {
      let head = try chain.switchToGenesis(of: shard)
      step(.stateInstalled(head))
    } catch {
      halt("cannot make the genesis state of shard \(shard): \(error)")
    }
  }
}
