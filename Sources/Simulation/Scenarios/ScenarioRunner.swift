import Consensus

/// Runs scenarios by name and seed.
public enum ScenarioRunner {
  /// Runs scenario `name` with `seed` at `length`; nil for an unknown name.
  public static func run(
    _ name: String, seed: UInt64, length: ScenarioLength = .standard, mutations: ProtocolMutations = .none,
    trace: (@Sendable (String) -> Void)? = nil
  ) -> RunReport? {
    guard var scenario = ScenarioCatalogue.scenario(name, seed: seed, length: length) else { return nil }
    scenario.mutations = mutations
    let simulator = Simulator(scenario: scenario, seed: seed)
    simulator.trace = trace
    return simulator.run()
  }
}
