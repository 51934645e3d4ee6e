/// Quorum arithmetic (docs/protocol.md notation).
public enum Quorum {
  /// `maj(m) = ⌊m/2⌋ + 1`: more than half of `m`.
  public static func majority(_ m: Int) -> Int { m / 2 + 1 }

  /// More than two thirds of `n`: the smallest `q` with `3q > 2n`.
  public static func twoThirds(_ n: Int) -> Int { 2 * n / 3 + 1 }

  /// The smallest number of members of a shard of `m` that includes an honest one while the shard has an
  /// honest majority: `m − maj(m) + 1`.
  public static func oneHonest(_ m: Int) -> Int { m - majority(m) + 1 }
}
