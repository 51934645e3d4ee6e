import GRPCCore
import Wire

/// Chain validation ("chain validation" of the original system).
extension HealthChainService {
  public func validateChain(request: ValidateChainRequest, context: ServerContext) async throws
    -> ValidateChainResponse
  {
    await ChainValidator(context: self.context).validate()
  }
}
