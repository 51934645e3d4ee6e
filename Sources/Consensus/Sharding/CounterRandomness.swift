import ChainCrypto
import Foundation

/// The SHA-256-counter byte stream of docs/protocol.md §2.1 step 4: `SHA-256(seed || u64be(0)) ||
/// SHA-256(seed || u64be(1)) || …`, read as consecutive big-endian `UInt64`s (four per hash).
struct CounterRandomness {
  private let seed: Data
  private var counter: UInt64 = 0
  private var pending: [UInt64] = []

  init(seed: Data) { self.seed = seed }

  /// The next value of the stream.
  mutating func next() -> UInt64 {
    if pending.isEmpty {
      let block = SHA256.hash([seed, Bytes.u64be(counter)]).data
      counter += 1
      pending = (0..<4).reversed().map { Bytes.readU64be(block.dropFirst($0 * 8)) }
    }
    return pending.removeLast()
  }
}
