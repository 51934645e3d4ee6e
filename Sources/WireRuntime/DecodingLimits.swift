/// Bounds on what decoding accepts, checked before protobuf-c sees the input.
public struct DecodingLimits: Sendable, Hashable {
  /// The largest input accepted, in bytes.
  public var maxBytes: Int
  /// The deepest nesting of messages accepted; the outermost message is depth 1.
  public var maxDepth: Int

  public init(maxBytes: Int, maxDepth: Int) {
    self.maxBytes = maxBytes
    self.maxDepth = maxDepth
  }

  /// 64 MiB and depth 32: enough for the largest block (DESIGN's 8 MiB of entries) and image chunks,
  /// and far deeper than any message of the schema nests.
  public static let `default` = DecodingLimits(maxBytes: 64 << 20, maxDepth: 32)
}
