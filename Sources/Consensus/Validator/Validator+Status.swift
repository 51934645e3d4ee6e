import Foundation

extension Validator {
  /// One line on where this validator stands, for logs and test failures: its shard, TChain head and view,
  /// RChain height, view and round, and the height of each shard its last RBlock covers.
  public var statusDescription: String {
    let covered = chain.coverage.map { "\($0.shard):\($0.toHeight)" }.joined(separator: " ")
    let round = rchain.round.map { round in
      "round(prepares \(round.prepares.count), prepared \(round.prepared), commits \(round.commits.count))"
    }
    let own = history.map { "history \($0.anchor.toHeight)...\($0.topHeight)" } ?? "no history"
    return [
      "shard \(shard)", "tchain \(committedHeight) view \(view)", own,
      "rchain \(chain.height) view \(rchain.hard.view)", round ?? "no round",
      rchain.pending == nil ? "nothing pending" : "a proposal pending", "covers [\(covered)]",
    ].joined(separator: ", ")
  }
}
