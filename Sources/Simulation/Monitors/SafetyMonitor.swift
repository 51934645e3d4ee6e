import ChainCrypto
import Consensus
import Foundation
import Wire

/// Watches what honest validators commit and fails a run on the first inconsistency: two different
/// TBlocks at one shard height, two different RBlocks at one height, two state roots at one shard
/// height, a committed block whose certificate does not check out, or a final TBlock (covered by a
/// committed RBlock) whose hash or state root is not the one honest members committed there.
struct SafetyMonitor {
  struct ShardHeight: Hashable {
    let shard: UInt32
    let height: UInt64
  }

  private(set) var tblocks: [ShardHeight: Data] = [:]
  private(set) var stateRoots: [ShardHeight: Data] = [:]
  private(set) var rblocks: [UInt64: Data] = [:]
  /// What committed RBlocks say each covered shard height holds (their `to_height` coverage).
  private(set) var finalized: [ShardHeight: (blockHash: Data, stateRoot: Data, rblock: UInt64)] = [:]
  private(set) var violations: [String] = []
  /// Whether every checked TChain fact is about a shard that had an honest majority and, when a leader
  /// could equivocate, a synchronous network (else TChain forks are out of the fault model, §3.5).
  var tchainInModel = true
  private(set) var tchainForks: [String] = []

  mutating func violation(_ text: String) {
    if violations.count < 20 { violations.append(text) }
  }

  mutating func tblockCommitted(
    node: Int, request: ApplyRequest, members: [Address]?, scheme: any SignatureScheme, chainID: String
  ) {
    let key = ShardHeight(shard: request.shard, height: request.header.height)
    if let known = tblocks[key], known != request.blockHash {
      let text =
        "TChain fork: shard \(key.shard) height \(key.height) has \(known.hexShort) and \(request.blockHash.hexShort) (node \(node))"
      if tchainInModel { violation(text) } else { tchainForks.append(text) }
    } else if tblocks[key] == nil {
      tblocks[key] = request.blockHash
    }
    if let covered = finalized[key], covered.blockHash != request.blockHash {
      tchainFact(
        "node \(node) committed \(request.blockHash.hexShort) at shard \(key.shard) height \(key.height), "
          + "but RBlock \(covered.rblock) made \(covered.blockHash.hexShort) final there")
    }
    guard let members else { return violation("node \(node) committed a block of an unknown epoch") }
    let subject = VoteSubject(
      chainID: chainID, shard: request.shard, epoch: request.header.epoch, view: request.header.view,
      height: request.header.height, blockHash: request.blockHash, entryCount: request.block.entries.count)
    let validators = Dictionary(
      uniqueKeysWithValues: (request.block.certificate?.votes ?? []).compactMap { vote -> (Address, Data)? in
        guard let body = try? VoteBody(serializedBytes: vote.body),
          let voter = try? Address(rawRepresentation: body.voter),
          let key = vote.signature?.publicKey
        else { return nil }
        return (voter, key)
      })
    switch CommitCertificateCheck.tally(
      request.block.certificate, subject: subject, members: members,
      publicKey: { address in
        validators[address].flatMap { Address(publicKeyBytes: $0) == address ? $0 : nil }
      },
      scheme: scheme)
    {
    case .failure(let reason):
      violation(
        "node \(node) committed shard \(key.shard) height \(key.height) with a bad certificate: \(reason)")
    case .success(let tally):
      if Bitmap.encode(tally.decision) != request.block.decision {
        violation(
          "node \(node) committed shard \(key.shard) height \(key.height) with a decision that is not the certificate's"
        )
      }
    }
  }

  mutating func applied(node: Int, shard: UInt32, height: UInt64, stateRoot: Data) {
    let key = ShardHeight(shard: shard, height: height)
    if let known = stateRoots[key], known != stateRoot {
      let text = "state roots differ at shard \(shard) height \(height) (node \(node))"
      if tchainInModel { violation(text) } else { tchainForks.append(text) }
    } else if stateRoots[key] == nil {
      stateRoots[key] = stateRoot
    }
    if let covered = finalized[key], covered.stateRoot != stateRoot {
      tchainFact(
        "node \(node) has another state root at shard \(shard) height \(height) than RBlock \(covered.rblock) made final"
      )
    }
  }

  /// Records the coverage of a committed RBlock and checks it against the blocks and state roots honest
  /// members committed (docs/protocol.md §3.9, §4.2).
  mutating func rblockCovers(_ header: RBlockHeader) {
    for coverage in header.shards where coverage.toHeight > 0 && coverage.toHeight >= coverage.fromHeight {
      let key = ShardHeight(shard: coverage.shard, height: coverage.toHeight)
      if let known = finalized[key] {
        if known.blockHash != coverage.tblockHash || known.stateRoot != coverage.stateRoot {
          violation(
            "RBlocks \(known.rblock) and \(header.height) make different blocks final at shard \(key.shard) height \(key.height)"
          )
        }
        continue
      }
      finalized[key] = (coverage.tblockHash, coverage.stateRoot, header.height)
      if let committed = tblocks[key], committed != coverage.tblockHash {
        tchainFact(
          "RBlock \(header.height) makes \(coverage.tblockHash.hexShort) final at shard \(key.shard) height \(key.height), "
            + "but honest members committed \(committed.hexShort)")
      }
      if let root = stateRoots[key], root != coverage.stateRoot {
        tchainFact(
          "RBlock \(header.height) makes another state root final at shard \(key.shard) height \(key.height) than honest members have"
        )
      }
    }
  }

  /// A TChain inconsistency: a violation inside the fault model, a note outside it.
  private mutating func tchainFact(_ text: String) {
    if tchainInModel { violation(text) } else { tchainForks.append(text) }
  }

  mutating func rblockCommitted(node: Int, height: UInt64, hash: Data) {
    if let known = rblocks[height], known != hash {
      violation("RChain fork at height \(height): \(known.hexShort) and \(hash.hexShort) (node \(node))")
    } else {
      rblocks[height] = hash
    }
  }
}

extension Data {
  var hexShort: String { prefix(4).map { String(format: "%02x", $0) }.joined() }
}
