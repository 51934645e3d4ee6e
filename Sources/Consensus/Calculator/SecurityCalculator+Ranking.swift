extension SecurityCalculator {
  /// The calculator's input for validators with reputations `reputationPPM` and probabilities `p` of
  /// being malicious (same indices): the probabilities in reputation order, highest first.
  ///
  /// Validators of equal reputation are ordered by the epoch seed, so each position of a group of ties
  /// is held by any member of the group with the same chance: every position gets the group's mean.
  /// (When a group of ties spans several tiers the tiers are no longer independent; the per-shard
  /// probability is then an approximation.)
  public static func probabilitiesInReputationOrder(reputationPPM: [UInt32], p: [Double]) -> [Double] {
    precondition(reputationPPM.count == p.count)
    let order = p.indices.sorted { reputationPPM[$0] > reputationPPM[$1] }
    var result: [Double] = []
    result.reserveCapacity(p.count)
    var start = 0
    while start < order.count {
      var end = start
      while end < order.count && reputationPPM[order[end]] == reputationPPM[order[start]] { end += 1 }
      let mean = order[start..<end].reduce(0.0) { $0 + p[$1] } / Double(end - start)
      result += [Double](repeating: mean, count: end - start)
      start = end
    }
    return result
  }
}
