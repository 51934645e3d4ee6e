/// The defaults of the consensus parameters, as the comments of genesis.proto state them (and
/// docs/protocol.md §10), and the one
/// function that turns a genesis file's parameters into the effective ones.
public enum GenesisDefaults {
  /// Every parameter at its default.
  public static let consensus = ConsensusParams(
    shardCount: 2,
    epochLength: 10,
    rblockIntervalMs: 2_000,
    maxBlockEntries: 2_000,
    maxBlockBytes: 8 << 20,
    batchTimeoutMs: 50,
    voteWindowMs: 100,
    electionTimeoutMs: 1_500,
    maxTransactionBytes: 64 << 10,
    rewardPerRblock: 1_000_000,
    reputation: reputation
  )

  /// The reputation weights' defaults (α = 1, β = 2, γ = 0.5, δ = 0.01, ε = 0.05, λ = 0.9, R₀ = 0.5).
  public static let reputation = ReputationParams(
    alphaPPM: 1_000_000,
    betaPPM: 2_000_000,
    gammaPPM: 500_000,
    deltaPPM: 10_000,
    epsilonPPM: 50_000,
    lambdaPPM: 900_000,
    initialPPM: 500_000
  )

  /// The effective parameters: every zero field of `params` (and a missing `params` or
  /// `reputation`) replaced by its default.
  public static func effective(_ params: ConsensusParams?) -> ConsensusParams {
    let given = params ?? ConsensusParams()
    let d = consensus
    func pick<T: BinaryInteger>(_ value: T, _ fallback: T) -> T { value == 0 ? fallback : value }
    let r = given.reputation ?? ReputationParams()
    let dr = reputation
    return ConsensusParams(
      shardCount: pick(given.shardCount, d.shardCount),
      epochLength: pick(given.epochLength, d.epochLength),
      rblockIntervalMs: pick(given.rblockIntervalMs, d.rblockIntervalMs),
      maxBlockEntries: pick(given.maxBlockEntries, d.maxBlockEntries),
      maxBlockBytes: pick(given.maxBlockBytes, d.maxBlockBytes),
      batchTimeoutMs: pick(given.batchTimeoutMs, d.batchTimeoutMs),
      voteWindowMs: pick(given.voteWindowMs, d.voteWindowMs),
      electionTimeoutMs: pick(given.electionTimeoutMs, d.electionTimeoutMs),
      maxTransactionBytes: pick(given.maxTransactionBytes, d.maxTransactionBytes),
      rewardPerRblock: pick(given.rewardPerRblock, d.rewardPerRblock),
      reputation: ReputationParams(
        alphaPPM: pick(r.alphaPPM, dr.alphaPPM),
        betaPPM: pick(r.betaPPM, dr.betaPPM),
        gammaPPM: pick(r.gammaPPM, dr.gammaPPM),
        deltaPPM: pick(r.deltaPPM, dr.deltaPPM),
        epsilonPPM: pick(r.epsilonPPM, dr.epsilonPPM),
        lambdaPPM: pick(r.lambdaPPM, dr.lambdaPPM),
        initialPPM: pick(r.initialPPM, dr.initialPPM)
      )
    )
  }
}
