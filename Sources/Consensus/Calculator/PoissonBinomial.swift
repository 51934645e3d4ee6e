/// The Poisson-binomial distribution: the number of successes among independent trials with their own
/// probabilities.
public enum PoissonBinomial {
  /// `D[c]` = P(exactly c successes) for success probabilities `q`, by the recursion
  /// `D[j][c] = D[j−1][c]·(1 − q_j) + D[j−1][c−1]·q_j` (O(m²)).
  public static func distribution(_ q: [Double]) -> [Double] {
    var d = [Double](repeating: 0, count: q.count + 1)
    d[0] = 1
    for (j, p) in q.enumerated() {
      for c in stride(from: j + 1, through: 1, by: -1) {
        d[c] = d[c] * (1 - p) + d[c - 1] * p
      }
      d[0] *= (1 - p)
    }
    return d
  }

  /// P(at least `threshold` successes).
  public static func tail(_ q: [Double], atLeast threshold: Int) -> Double {
    let d = distribution(q)
    guard threshold <= q.count else { return 0 }
    return d[max(threshold, 0)...].reduce(0, +)
  }
}
