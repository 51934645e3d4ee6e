internal import Foundation
public import GRPCCore
internal import InteropWire

/// The `grpc.testing.TestService` of the official interop cases, on the generated `grpc.testing`
/// types and the protobuf-c serializers (Interop/Proto/grpc/testing/test.proto).
///
/// - `EmptyCall`: an empty response.
/// - `UnaryCall` (and `CacheableUnaryCall`): a payload of `response_size` zero bytes; `server_id`
///   when `fill_server_id` is set; `username` and `oauth_scope` stay empty (no call credentials are
///   used); `response_status` answered as the call's status.
/// - `StreamingInputCall`: the sum of the payload sizes received.
/// - `StreamingOutputCall`: one response per `response_parameters`, each after `interval_us`,
///   then `response_status`.
/// - `FullDuplexCall`: each request answered as it arrives (`response_status` first, then its
///   responses); `HalfDuplexCall`: all requests first, then all responses.
/// - Every method echoes `x-grpc-test-echo-initial` in its initial metadata and
///   `x-grpc-test-echo-trailing-bin` in its trailers.
/// - Compression is never negotiated: a request with `expect_compressed` set fails with
///   INVALID_ARGUMENT (what the official servers answer to an uncompressed request that expected
///   compression); `response_compressed` is ignored.
/// - `UnimplementedCall` is left unregistered, so callers get UNIMPLEMENTED from the server itself.
public struct InteropTestService: RegistrableRPCService {
  /// Request metadata echoed in the initial metadata of the response.
  public static let echoInitialKey = "x-grpc-test-echo-initial"
  /// Request metadata (binary) echoed in the trailers.
  public static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

  /// What `UnaryCall` returns as `server_id` when asked to fill it.
  public var serverID: String

  /// A service that answers `fill_server_id` with `serverID`.
  public init(serverID: String = "sehc-interop-server") {
    self.serverID = serverID
  }

  public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    TestServiceHandlers(serverID: serverID).registerMethods(with: &router)
    _ = router.removeHandler(forMethod: TestService.Method.UnimplementedCall.descriptor)
  }
}

/// The interop metadata of one call: what to echo as initial metadata and as trailers.
struct EchoedMetadata: Sendable {
  var initial = Metadata()
  var trailing = Metadata()

  init(_ request: Metadata) {
    for value in request[stringValues: InteropTestService.echoInitialKey] {
      initial.addString(value, forKey: InteropTestService.echoInitialKey)
    }
    for value in request[binaryValues: InteropTestService.echoTrailingKey] {
      trailing.addBinary(value, forKey: InteropTestService.echoTrailingKey)
    }
  }

  /// Throws the status a request asks for (`response_status` with a code other than OK), carrying the
  /// echoed trailers.
  func failIfAsked(_ status: EchoStatus?) throws {
    guard let status, status.code != 0 else { return }
    let code = Status.Code(rawValue: Int(status.code)).flatMap { RPCError.Code($0) } ?? .unknown
    throw RPCError(code: code, message: status.message, metadata: trailing)
  }
}

/// The handlers, on the generated service protocol (its `registerMethods` registers every method,
/// `UnimplementedCall` included, which ``InteropTestService`` removes again).
struct TestServiceHandlers: TestService.ServiceProtocol {
  let serverID: String

  func emptyCall(request: ServerRequest<Empty>, context: ServerContext) async throws -> ServerResponse<Empty>
  {
    let echo = EchoedMetadata(request.metadata)
    return ServerResponse(message: Empty(), metadata: echo.initial, trailingMetadata: echo.trailing)
  }

  func unaryCall(
    request: ServerRequest<SimpleRequest>, context: ServerContext
  ) async throws -> ServerResponse<SimpleResponse> {
    let echo = EchoedMetadata(request.metadata)
    let message = request.message
    try echo.failIfAsked(message.responseStatus)
    try Self.refuseExpectedCompression(message.expectCompressed, trailing: echo.trailing)
    var response = SimpleResponse(payload: try Self.payload(size: message.responseSize))
    if message.fillServerID { response.serverID = serverID }
    return ServerResponse(message: response, metadata: echo.initial, trailingMetadata: echo.trailing)
  }

  func cacheableUnaryCall(
    request: ServerRequest<SimpleRequest>, context: ServerContext
  ) async throws -> ServerResponse<SimpleResponse> {
    try await unaryCall(request: request, context: context)
  }

  func streamingOutputCall(
    request: ServerRequest<StreamingOutputCallRequest>, context: ServerContext
  ) async throws -> StreamingServerResponse<StreamingOutputCallResponse> {
    let echo = EchoedMetadata(request.metadata)
    let message = request.message
    return StreamingServerResponse(metadata: echo.initial) { writer in
      try await Self.respond(to: message, with: writer)
      try echo.failIfAsked(message.responseStatus)
      return echo.trailing
    }
  }

  func streamingInputCall(
    request: StreamingServerRequest<StreamingInputCallRequest>, context: ServerContext
  ) async throws -> ServerResponse<StreamingInputCallResponse> {
    let echo = EchoedMetadata(request.metadata)
    var total = 0
    for try await message in request.messages {
      try Self.refuseExpectedCompression(message.expectCompressed, trailing: echo.trailing)
      total += message.payload?.body.count ?? 0
    }
    return ServerResponse(
      message: StreamingInputCallResponse(aggregatedPayloadSize: Int32(clamping: total)),
      metadata: echo.initial, trailingMetadata: echo.trailing)
  }

  func fullDuplexCall(
    request: StreamingServerRequest<StreamingOutputCallRequest>, context: ServerContext
  ) async throws -> StreamingServerResponse<StreamingOutputCallResponse> {
    let echo = EchoedMetadata(request.metadata)
    return StreamingServerResponse(metadata: echo.initial) { writer in
      for try await message in request.messages {
        try echo.failIfAsked(message.responseStatus)
        try await Self.respond(to: message, with: writer)
      }
      return echo.trailing
    }
  }

  func halfDuplexCall(
    request: StreamingServerRequest<StreamingOutputCallRequest>, context: ServerContext
  ) async throws -> StreamingServerResponse<StreamingOutputCallResponse> {
    let echo = EchoedMetadata(request.metadata)
    return StreamingServerResponse(metadata: echo.initial) { writer in
      var requests: [StreamingOutputCallRequest] = []
      for try await message in request.messages { requests.append(message) }
      for message in requests {
        try echo.failIfAsked(message.responseStatus)
        try await Self.respond(to: message, with: writer)
      }
      return echo.trailing
    }
  }

  func unimplementedCall(
    request: ServerRequest<Empty>, context: ServerContext
  ) async throws -> ServerResponse<Empty> {
    // Never registered (see InteropTestService); kept for the protocol.
    throw RPCError(code: .unimplemented, message: "grpc.testing.TestService/UnimplementedCall")
  }

  /// Writes one response per `response_parameters` of `request`, each after its `interval_us`.
  static func respond(
    to request: StreamingOutputCallRequest, with writer: RPCWriter<StreamingOutputCallResponse>
  ) async throws {
    for parameters in request.responseParameters {
      try await pause(microseconds: parameters.intervalUs)
      try await writer.write(StreamingOutputCallResponse(payload: try payload(size: parameters.size)))
    }
  }

  /// Sleeps, ending early when the RPC is cancelled (grpc-swift does not cancel a handler's task when
  /// its RPC is cancelled by a deadline or RST_STREAM; see docs/transport.md).
  static func pause(microseconds: Int32) async throws {
    guard microseconds > 0 else { return }
    let sleep = Task { try await Task.sleep(for: .microseconds(Int(microseconds))) }
    try await withRPCCancellationHandler {
      try await sleep.value
    } onCancelRPC: {
      sleep.cancel()
    }
  }

  /// A payload of `size` zero bytes.
  static func payload(size: Int32) throws -> Payload {
    guard size >= 0 else {
      throw RPCError(code: .invalidArgument, message: "negative response size \(size)")
    }
    return Payload(type: .compressable, body: Data(count: Int(size)))
  }

  /// Fails a request that expects to have arrived compressed: no compression is negotiated here.
  static func refuseExpectedCompression(_ expectCompressed: BoolValue?, trailing: Metadata) throws {
    guard expectCompressed?.value == true else { return }
    throw RPCError(
      code: .invalidArgument, message: "expected a compressed request, but compression is not supported",
      metadata: trailing)
  }
}
