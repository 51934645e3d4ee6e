import ChainCrypto
import Foundation
import Wire

/// Crediting RBlock rewards to a shard's accounts (docs/ledger.md, "Rewards").
///
/// A TBlock with `rblock_height` h credits, before its entries, the rewards of every RBlock after
/// the shard's credited height (`StateView.rewardsHeight`) up to h, in height order: each `Reward`
/// whose account lives in this shard adds its amount to the account's balance (creating the account;
/// a balance saturates at 2^64 - 1), and the credited height becomes h.
public enum Rewards {
  /// Credits `blocks`, which must be exactly the RBlocks (state.rewardsHeight, upTo], in order.
  public static func credit<S: StateWriter>(
    _ blocks: [RBlockHeader], upTo height: UInt64, shard: UInt32, parameters: ChainParameters, state: inout S
  ) throws(LedgerError) {
    let credited = state.rewardsHeight
    guard height >= credited else {
      throw .rewardGap("the block credits up to RBlock \(height), below the shard's credited \(credited)")
    }
    let expected = Array((credited + 1)..<(height + 1))
    guard blocks.map(\.height) == expected else {
      throw .rewardGap(
        "RBlocks \(blocks.map(\.height)) given; the block needs exactly \(expected.first.map { "\($0)...\(height)" } ?? "none")"
      )
    }
    do {
      for block in blocks {
        guard block.chainID == parameters.chainID else {
          throw LedgerError.rewardGap("RBlock \(block.height) is for chain \"\(block.chainID)\"")
        }
        for reward in block.rewards {
          guard reward.account.count == Address.byteCount else {
            throw LedgerError.rewardGap(
              "RBlock \(block.height) rewards an account of \(reward.account.count) bytes")
          }
          guard Ledger.shard(ofAddressBytes: reward.account, shardCount: parameters.shardCount) == shard
          else {
            continue
          }
          var account = try state.account(reward.account) ?? Account.new(raw: reward.account, shard: shard)
          let (sum, overflow) = account.balance.addingReportingOverflow(reward.amount)
          account.balance = overflow ? .max : sum
          try state.putAccount(account)
        }
      }
      if height != credited { state.set(StateKey.rewardsHeight, height.bigEndianBytes) }
    } catch let error as LedgerError {
      throw error
    } catch {
      throw .encoding("\(error)")
    }
  }
}
