import ChainCrypto
import Foundation
import GRPCCore
import Wire

/// Checks of request fields, each failing with INVALID_ARGUMENT naming the field.
enum Inputs {
  /// `bytes` as a 20-byte address.
  static func address(_ bytes: Data, _ field: String) throws -> Address {
    guard bytes.count == Address.byteCount, let address = try? Address(rawRepresentation: bytes) else {
      throw APIError.invalid("\(field) must be a 20-byte address, got \(bytes.count) bytes")
    }
    return address
  }

  /// `bytes` as a 32-byte id (transaction, record, request or grant id).
  static func id(_ bytes: Data, _ field: String) throws -> Data {
    guard bytes.count == 32 else { throw APIError.invalid("\(field) must be 32 bytes, got \(bytes.count)") }
    return bytes
  }

  /// A message field that must be set.
  static func required<T>(_ value: T?, _ field: String) throws -> T {
    guard let value else { throw APIError.invalid("\(field) is required") }
    return value
  }

  /// A shard number of the network.
  static func shard(_ shard: UInt32, count: UInt32) throws -> UInt32 {
    guard shard < count else {
      throw APIError.invalid("shard \(shard) does not exist; the network has shards 0 to \(count - 1)")
    }
    return shard
  }
}

extension Inputs {
  /// A commitment level this version knows.
  static func commitment(_ value: Commitment, _ field: String = "wait_for") throws -> Commitment {
    if case .unrecognized(let number) = value {
      throw APIError.invalid(
        "\(field) \(number) is not a Commitment (0 admitted, 1 shard-committed, 2 final)")
    }
    return value
  }
}
