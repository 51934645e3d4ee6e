import Metrics
import Prometheus
import Synchronization

/// Installs swift-prometheus as the process's swift-metrics backend.
///
/// swift-metrics accepts one bootstrap per process; the first call installs the factory and later
/// calls return the same registry, so the node and tests may both call it.
public enum MetricsBootstrap {
  private static let installed = Mutex<PrometheusCollectorRegistry?>(nil)

  /// The registry every `Counter`, `Gauge`, `Recorder` and `Timer` of the process reports to.
  @discardableResult
  public static func bootstrap() -> PrometheusCollectorRegistry {
    installed.withLock { installed in
      if let installed { return installed }
      let registry = PrometheusCollectorRegistry()
      MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
      installed = registry
      return registry
    }
  }
}
