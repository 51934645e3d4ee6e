/// Runs scenarios by name and seed.
public enum ScenarioRunner {
  /// Runs scenario `name` with `seed`; nil for an unknown name.
  public static func run(_ name: String, seed: UInt64, trace: (@Sendable (String) -> Void)? = nil) -> RunReport? {
    guard let scenario = ScenarioCatalogue.scenario(name, seed: seed) else { return nil }
    let simulator = Simulator(scenario: scenario, seed: seed)
    simulator.trace = trace
    return simulator.run()
  }
}
