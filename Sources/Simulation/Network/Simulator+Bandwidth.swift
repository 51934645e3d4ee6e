extension Simulator {
  /// When a message of `bits` bits sent now from `from` to `to` has left the link (in milliseconds,
  /// rounded up), each directed link sending one message at a time at
  /// `scenario.network.bandwidthBitsPerSecond`.
  ///
  /// Content (`bulk`: record and image chunks) waits in a queue of its own: on the real peer link it
  /// travels in its own HTTP/2 streams, interleaved with the consensus stream, whose messages are small
  /// beside it. So an image delays the images behind it, not the votes.
  func departure(from: Int, to: Int, bits: Int, bulk: Bool = false) -> UInt64 {
    let link = from * nodes.count + to
    let freeAt = bulk ? bulkLinkFreeAtUs[link] : linkFreeAtUs[link]
    let start = max(now * 1_000, freeAt ?? 0)
    let done =
      start + (UInt64(bits) * 1_000_000 + scenario.network.bandwidthBitsPerSecond - 1)
      / scenario.network.bandwidthBitsPerSecond
    if bulk { bulkLinkFreeAtUs[link] = done } else { linkFreeAtUs[link] = done }
    return (done + 999) / 1_000
  }
}
