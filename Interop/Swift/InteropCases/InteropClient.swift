internal import Foundation
public import GRPCCore
internal import InteropWire

/// The 14 portable official interop cases, by the names grpc's interop clients use.
public enum InteropCase: String, CaseIterable, Sendable {
  case emptyUnary = "empty_unary"
  case largeUnary = "large_unary"
  case clientStreaming = "client_streaming"
  case serverStreaming = "server_streaming"
  case pingPong = "ping_pong"
  case emptyStream = "empty_stream"
  case cancelAfterBegin = "cancel_after_begin"
  case cancelAfterFirstResponse = "cancel_after_first_response"
  case timeoutOnSleepingServer = "timeout_on_sleeping_server"
  case statusCodeAndMessage = "status_code_and_message"
  case specialStatusMessage = "special_status_message"
  case customMetadata = "custom_metadata"
  case unimplementedMethod = "unimplemented_method"
  case unimplementedService = "unimplemented_service"
}

/// Why an interop case failed, in one line.
public struct InteropCaseFailure: Error, CustomStringConvertible {
  public var description: String

  public init(_ description: String) {
    self.description = description
  }
}

/// Runs the interop cases against a `grpc.testing.TestService` with the generated client and the
/// protobuf-c serializers, over any transport.
public struct InteropClient<Transport: ClientTransport>: Sendable {
  let testService: TestService.Client<Transport>
  let unimplementedService: UnimplementedService.Client<Transport>

  static var requestSizes: [Int32] { [27182, 8, 1828, 45904] }
  static var responseSizes: [Int32] { [31415, 9, 2653, 58979] }
  static var specialMessage: String { "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n" }
  static var initialValue: String { "test_initial_metadata_value" }
  static var trailingValue: [UInt8] { [0xAB, 0xAB, 0xAB] }

  /// A runner calling through `client` (which must be running).
  public init(client: GRPCClient<Transport>) {
    testService = TestService.Client(wrapping: client)
    unimplementedService = UnimplementedService.Client(wrapping: client)
  }

  /// Runs one case; throws ``InteropCaseFailure`` (or the unexpected error) when it fails.
  public func run(_ testCase: InteropCase) async throws {
    switch testCase {
    case .emptyUnary:
      _ = try await testService.emptyCall(request: ClientRequest(message: Empty()))
    case .largeUnary:
      let response = try await testService.unaryCall(
        request: ClientRequest(message: Self.simpleRequest(responseSize: 314159, payloadSize: 271828)))
      try check(
        response.payload?.body.count == 314159, "response body of \(response.payload?.body.count ?? 0) bytes")
    case .clientStreaming:
      let response = try await testService.streamingInputCall(
        request: StreamingClientRequest { writer in
          for size in Self.requestSizes {
            try await writer.write(StreamingInputCallRequest(payload: Self.payload(size)))
          }
        })
      try check(response.aggregatedPayloadSize == 74922, "aggregated \(response.aggregatedPayloadSize)")
    case .serverStreaming:
      let request = StreamingOutputCallRequest(
        responseParameters: Self.responseSizes.map { ResponseParameters(size: $0) })
      let sizes = try await testService.streamingOutputCall(request: ClientRequest(message: request)) {
        response in
        var sizes: [Int32] = []
        for try await message in response.messages { sizes.append(Self.size(of: message)) }
        return sizes
      }
      try check(sizes == Self.responseSizes, "response sizes \(sizes)")
    case .pingPong:
      let requests = zip(Self.requestSizes, Self.responseSizes).map {
        StreamingOutputCallRequest(
          responseParameters: [ResponseParameters(size: $1)], payload: Self.payload($0))
      }
      let result = try await lockStep(requests)
      try check(result.sizes == Self.responseSizes, "response sizes \(result.sizes)")
    case .emptyStream:
      let result = try await lockStep([])
      try check(result.sizes.isEmpty, "\(result.sizes.count) responses to an empty stream")
    case .cancelAfterBegin:
      try await cancelAfterBegin()
    case .cancelAfterFirstResponse:
      let request = StreamingOutputCallRequest(
        responseParameters: [ResponseParameters(size: 31415)], payload: Self.payload(27182))
      try await expectCancelled { _ = try await lockStep([request], cancelAfter: 1) }
    case .timeoutOnSleepingServer:
      var options = CallOptions.defaults
      options.timeout = .milliseconds(1)
      try await expect(.deadlineExceeded) {
        _ = try await lockStep([StreamingOutputCallRequest(payload: Self.payload(27182))], options: options)
      }
    case .statusCodeAndMessage, .specialStatusMessage:
      let message = testCase == .specialStatusMessage ? Self.specialMessage : "test status message"
      let status = EchoStatus(code: 2, message: message)
      try await expect(.unknown, message: message) {
        _ = try await testService.unaryCall(
          request: ClientRequest(message: SimpleRequest(responseStatus: status)))
      }
      if testCase == .statusCodeAndMessage {
        try await expect(.unknown, message: message) {
          _ = try await lockStep([StreamingOutputCallRequest(responseStatus: status)])
        }
      }
    case .customMetadata:
      var metadata = Metadata()
      metadata.addString(Self.initialValue, forKey: InteropTestService.echoInitialKey)
      metadata.addBinary(Self.trailingValue, forKey: InteropTestService.echoTrailingKey)
      let unary = try await testService.unaryCall(
        request: ClientRequest(
          message: Self.simpleRequest(responseSize: 314159, payloadSize: 271828), metadata: metadata)
      ) { response in
        (
          size: Self.size(of: try response.message), initial: response.metadata,
          trailing: response.trailingMetadata
        )
      }
      try check(unary.size == 314159, "UnaryCall response body of \(unary.size) bytes")
      try checkEcho(unary.initial, unary.trailing, "UnaryCall")
      let duplex = try await lockStep(
        [
          StreamingOutputCallRequest(
            responseParameters: [ResponseParameters(size: 314159)], payload: Self.payload(271828))
        ], metadata: metadata)
      try check(duplex.sizes == [314159], "FullDuplexCall response sizes \(duplex.sizes)")
      try checkEcho(duplex.initial, duplex.trailing, "FullDuplexCall")
    case .unimplementedMethod:
      try await expect(.unimplemented) {
        _ = try await testService.unimplementedCall(request: ClientRequest(message: Empty()))
      }
    case .unimplementedService:
      try await expect(.unimplemented) {
        _ = try await unimplementedService.unimplementedCall(request: ClientRequest(message: Empty()))
      }
    }
  }

  // MARK: Helpers

  static func payload(_ size: Int32) -> Payload { Payload(body: Data(count: Int(size))) }

  static func simpleRequest(responseSize: Int32, payloadSize: Int32) -> SimpleRequest {
    SimpleRequest(responseSize: responseSize, payload: payload(payloadSize))
  }

  static func size(of response: StreamingOutputCallResponse) -> Int32 {
    Int32(response.payload?.body.count ?? 0)
  }

  static func size(of response: SimpleResponse) -> Int32 { Int32(response.payload?.body.count ?? 0) }

  func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw InteropCaseFailure(message()) }
  }

  /// A FullDuplexCall that sends `requests` one at a time, each after the response to the previous
  /// one, then half-closes; with `cancelAfter` it leaves the call (cancelling it) after that many
  /// responses.
  func lockStep(
    _ requests: [StreamingOutputCallRequest], metadata: Metadata = [:], options: CallOptions = .defaults,
    cancelAfter: Int? = nil
  ) async throws -> (sizes: [Int32], initial: Metadata, trailing: Metadata) {
    let (turns, turn) = AsyncStream.makeStream(of: Void.self)
    return try await testService.fullDuplexCall(
      request: StreamingClientRequest(metadata: metadata) { writer in
        var iterator = turns.makeAsyncIterator()
        for request in requests {
          try await writer.write(request)
          guard await iterator.next() != nil else { return }
        }
      },
      options: options
    ) { response in
      var sizes: [Int32] = []
      var trailing: Metadata = [:]
      for try await part in response.bodyParts {
        switch part {
        case .message(let message):
          sizes.append(Self.size(of: message))
          if let cancelAfter, sizes.count == cancelAfter { throw CancellationError() }
          turn.yield()
        case .trailingMetadata(let metadata):
          trailing = metadata
        }
      }
      turn.finish()
      return (sizes, response.metadata, trailing)
    }
  }

  /// A StreamingInputCall cancelled before it sends anything.
  func cancelAfterBegin() async throws {
    let call = Task {
      try await testService.streamingInputCall(
        request: StreamingClientRequest { _ in try await Task.sleep(for: .seconds(30)) })
    }
    try await Task.sleep(for: .milliseconds(50))
    call.cancel()
    try await expectCancelled { _ = try await call.value }
  }

  func expectCancelled(_ body: () async throws -> Void) async throws {
    do {
      try await body()
    } catch is CancellationError {
      return
    } catch let error as RPCError where error.code == .cancelled {
      return
    }
    throw InteropCaseFailure("the call succeeded")
  }

  /// Runs a call that must fail with `code` (and `message`, when given).
  func expect(_ code: RPCError.Code, message: String? = nil, _ body: () async throws -> Void) async throws {
    do {
      try await body()
    } catch let error as RPCError {
      try check(error.code == code, "expected \(code), got \(error.code): \(error.message)")
      if let message {
        try check(
          error.message == message,
          "expected the message \(message.debugDescription), got \(error.message.debugDescription)")
      }
      return
    }
    throw InteropCaseFailure("the call succeeded; expected \(code)")
  }

  func checkEcho(_ initial: Metadata, _ trailing: Metadata, _ call: String) throws {
    let echoed = Array(initial[stringValues: InteropTestService.echoInitialKey])
    try check(echoed == [Self.initialValue], "\(call): initial metadata \(initial)")
    let echoedTrailing = Array(trailing[binaryValues: InteropTestService.echoTrailingKey])
    try check(echoedTrailing == [Self.trailingValue], "\(call): trailing metadata \(trailing)")
  }
}
