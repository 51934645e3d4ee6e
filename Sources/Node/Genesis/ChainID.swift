/// The rule for chain ids (Genesis.chain_id): 1 to 64 bytes of `[a-z0-9-]`.
public enum ChainID {
  /// Why `id` is not a chain id, or nil when it is one.
  public static func problem(_ id: String) -> String? {
    guard (1...64).contains(id.utf8.count) else {
      return "\"\(id)\" is \(id.utf8.count) bytes; a chain id is 1 to 64 bytes of a-z, 0-9 and '-'"
    }
    if let bad = id.unicodeScalars.first(where: {
      !(("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-")
    }) {
      return "\"\(id)\" contains \"\(bad)\"; a chain id is 1 to 64 bytes of a-z, 0-9 and '-'"
    }
    return nil
  }
}
