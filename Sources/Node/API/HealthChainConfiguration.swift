import Foundation

/// Settings of the client API that are not in the genesis.
public struct HealthChainConfiguration: Sendable {
  /// How long a call waits for a transaction when the request says 0, in milliseconds.
  public var defaultTimeoutMs: UInt32
  /// The longest wait a request may ask for, in milliseconds.
  public var maxTimeoutMs: UInt32
  /// How long an unfinished upload session lives, in milliseconds.
  public var uploadTTLms: UInt64
  /// The most bytes `PutRecord` takes inline.
  public var maxRecordBytes: Int
  /// The most blocks one `ListTBlocks` or `ListRBlocks` call streams.
  public var maxListedBlocks: UInt64
  /// How long a transaction this node submitted counts as pending without being committed, in
  /// milliseconds; after that its nonce is given out again.
  public var pendingLifetimeMs: UInt64
  /// The software version `GetNodeInfo` reports.
  public var version: String

  /// The defaults: 30 s waits (at most 5 min), 24 h upload sessions, 4 MiB records, 10,000 blocks per
  /// list, 2 min pending lifetime.
  public init(
    defaultTimeoutMs: UInt32 = 30_000, maxTimeoutMs: UInt32 = 300_000, uploadTTLms: UInt64 = 86_400_000,
    maxRecordBytes: Int = 4 << 20, maxListedBlocks: UInt64 = 10_000, pendingLifetimeMs: UInt64 = 120_000,
    version: String = "0.1.0"
  ) {
    self.defaultTimeoutMs = defaultTimeoutMs
    self.maxTimeoutMs = maxTimeoutMs
    self.uploadTTLms = uploadTTLms
    self.maxRecordBytes = maxRecordBytes
    self.maxListedBlocks = maxListedBlocks
    self.pendingLifetimeMs = pendingLifetimeMs
    self.version = version
  }
}
