extension Simulator {
  /// When a message of `bits` bits sent now from `from` to `to` has left the link (in milliseconds,
  /// rounded up), each directed link sending one message at a time at
  /// `scenario.network.bandwidthBitsPerSecond`.
  func departure(from: Int, to: Int, bits: Int) -> UInt64 {
    let link = from * nodes.count + to
    let start = max(now * 1_000, linkFreeAtUs[link] ?? 0)
    let done =
      start + (UInt64(bits) * 1_000_000 + scenario.network.bandwidthBitsPerSecond - 1)
      / scenario.network.bandwidthBitsPerSecond
    linkFreeAtUs[link] = done
    return (done + 999) / 1_000
  }
}
