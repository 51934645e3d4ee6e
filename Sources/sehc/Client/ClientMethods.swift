import GRPCCore
import RPC
import Wire
import WireRuntime

/// The generated namespace of one `HealthChain` method: its descriptor and message types.
protocol HealthChainMethod {
  associatedtype Input: WireMessage
  associatedtype Output: WireMessage
  static var descriptor: MethodDescriptor { get }
}

extension HealthChain.Method.Login: HealthChainMethod {}
extension HealthChain.Method.WhoAmI: HealthChainMethod {}
extension HealthChain.Method.CreateUser: HealthChainMethod {}
extension HealthChain.Method.ChangePassword: HealthChainMethod {}
extension HealthChain.Method.SubmitTransaction: HealthChainMethod {}
extension HealthChain.Method.PutRecord: HealthChainMethod {}
extension HealthChain.Method.BeginUpload: HealthChainMethod {}
extension HealthChain.Method.UploadImage: HealthChainMethod {}
extension HealthChain.Method.GetUpload: HealthChainMethod {}
extension HealthChain.Method.Download: HealthChainMethod {}
extension HealthChain.Method.RequestAccess: HealthChainMethod {}
extension HealthChain.Method.DecideRequest: HealthChainMethod {}
extension HealthChain.Method.GrantAccess: HealthChainMethod {}
extension HealthChain.Method.RevokeAccess: HealthChainMethod {}
extension HealthChain.Method.EraseRecord: HealthChainMethod {}
extension HealthChain.Method.Transfer: HealthChainMethod {}
extension HealthChain.Method.GetTransaction: HealthChainMethod {}
extension HealthChain.Method.GetTBlock: HealthChainMethod {}
extension HealthChain.Method.ListTBlocks: HealthChainMethod {}
extension HealthChain.Method.GetRBlock: HealthChainMethod {}
extension HealthChain.Method.ListRBlocks: HealthChainMethod {}
extension HealthChain.Method.ValidateChain: HealthChainMethod {}
extension HealthChain.Method.GetReputation: HealthChainMethod {}
extension HealthChain.Method.GetShardAssignment: HealthChainMethod {}
extension HealthChain.Method.WatchBlocks: HealthChainMethod {}
extension HealthChain.Method.GetAccount: HealthChainMethod {}
extension HealthChain.Method.GetRecord: HealthChainMethod {}
extension HealthChain.Method.ListRecords: HealthChainMethod {}
extension HealthChain.Method.ListGrants: HealthChainMethod {}
extension HealthChain.Method.ListAccessRequests: HealthChainMethod {}
extension HealthChain.Method.GetNodeInfo: HealthChainMethod {}

/// A `HealthChain` method callable by name from the command line, with its request given as JSON.
struct ClientMethod: Sendable {
  let name: String
  let kind: MethodDescriptor.RPCType?
  let requestType: String
  let responseType: String
  /// Calls the method with a JSON request and hands each response message to `each`.
  let call:
    @Sendable (
      GRPCClient<RPCClientTransport>, String, Metadata, @escaping @Sendable (any WireMessage) -> Void
    )
      async throws -> Void

  init<M: HealthChainMethod>(_ method: M.Type) {
    name = M.descriptor.method
    kind = M.descriptor.type
    requestType = M.Input.protoMessageName
    responseType = M.Output.protoMessageName
    call = { client, json, metadata, each in
      let request: M.Input
      do { request = try M.Input(jsonString: json) } catch {
        throw CommandFailure.badData(
          "the request is not a valid \(M.Input.protoMessageName) in JSON: \(error)")
      }
      try await client.serverStreaming(
        request: ClientRequest(message: request, metadata: metadata), descriptor: M.descriptor,
        serializer: ProtobufCSerializer<M.Input>(), deserializer: ProtobufCDeserializer<M.Output>(),
        options: .defaults
      ) { response in
        for try await message in response.messages { each(message) }
      }
    }
  }

  /// Every method of the service, in the order of `healthchain.proto`.
  static let all: [ClientMethod] = [
    .init(HealthChain.Method.Login.self), .init(HealthChain.Method.WhoAmI.self),
    .init(HealthChain.Method.CreateUser.self), .init(HealthChain.Method.ChangePassword.self),
    .init(HealthChain.Method.SubmitTransaction.self), .init(HealthChain.Method.PutRecord.self),
    .init(HealthChain.Method.BeginUpload.self), .init(HealthChain.Method.UploadImage.self),
    .init(HealthChain.Method.GetUpload.self), .init(HealthChain.Method.Download.self),
    .init(HealthChain.Method.RequestAccess.self), .init(HealthChain.Method.DecideRequest.self),
    .init(HealthChain.Method.GrantAccess.self), .init(HealthChain.Method.RevokeAccess.self),
    .init(HealthChain.Method.EraseRecord.self), .init(HealthChain.Method.Transfer.self),
    .init(HealthChain.Method.GetTransaction.self), .init(HealthChain.Method.GetTBlock.self),
    .init(HealthChain.Method.ListTBlocks.self), .init(HealthChain.Method.GetRBlock.self),
    .init(HealthChain.Method.ListRBlocks.self), .init(HealthChain.Method.ValidateChain.self),
    .init(HealthChain.Method.GetReputation.self), .init(HealthChain.Method.GetShardAssignment.self),
    .init(HealthChain.Method.WatchBlocks.self), .init(HealthChain.Method.GetAccount.self),
    .init(HealthChain.Method.GetRecord.self), .init(HealthChain.Method.ListRecords.self),
    .init(HealthChain.Method.ListGrants.self), .init(HealthChain.Method.ListAccessRequests.self),
    .init(HealthChain.Method.GetNodeInfo.self),
  ]

  /// The method called `name` (case-insensitive), or a failure that lists the close ones.
  static func named(_ name: String) throws -> ClientMethod {
    if let method = all.first(where: { $0.name.lowercased() == name.lowercased() }) { return method }
    let close = all.filter { $0.name.lowercased().contains(name.lowercased()) }.map(\.name)
    let hint = close.isEmpty ? "" : "; did you mean \(close.prefix(3).joined(separator: ", "))?"
    throw CommandFailure.usage("HealthChain has no method \(name)\(hint) (`sehc client methods` lists them)")
  }
}
