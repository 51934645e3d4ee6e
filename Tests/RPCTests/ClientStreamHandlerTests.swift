import GRPCCore
import NIOCore
import NIOEmbedded
import NIOHPACK
import NIOHTTP2
import Testing

@testable import RPC

/// Drives one client stream handler on an EmbeddedChannel with hand-made HTTP/2 frames.
final class StreamHarness {
  let channel = EmbeddedChannel()

  init(maxResponseSize: Int = 1 << 20, maxRequestSize: Int = 1 << 20) throws {
    try channel.pipeline.syncOperations.addHandler(
      ClientStreamHandler(
        path: "/sehc.test.Echo/Unary", authority: "localhost:7443", maxRequestSize: maxRequestSize,
        maxResponseSize: maxResponseSize))
  }

  func headers(_ pairs: [(String, String)], endStream: Bool = false) throws {
    try channel.writeInbound(
      HTTP2Frame.FramePayload.headers(.init(headers: HPACKHeaders(pairs), endStream: endStream)))
  }

  func data(_ bytes: [UInt8], endStream: Bool = false) throws {
    try channel.writeInbound(
      HTTP2Frame.FramePayload.data(.init(data: .byteBuffer(ByteBuffer(bytes: bytes)), endStream: endStream)))
  }

  func parts() throws -> [RPCResponsePart<RPCBytes>] {
    var parts: [RPCResponsePart<RPCBytes>] = []
    while let part = try channel.readInbound(as: RPCResponsePart<RPCBytes>.self) { parts.append(part) }
    return parts
  }

  func status() throws -> Status? {
    for part in try parts() { if case .status(let status, _) = part { return status } }
    return nil
  }

  static let okHeaders = [(":status", "200"), ("content-type", "application/grpc")]
}

func framed(_ message: [UInt8], compressed: Bool = false) -> [UInt8] {
  let length = UInt32(message.count)
  return [
    compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF),
    UInt8(length & 0xFF),
  ]
    + message
}

@Suite("Client stream handler: framing and status mapping (EmbeddedChannel)")
struct ClientStreamHandlerTests {
  @Test("Request: pseudo-headers, te, grpc-timeout first, -bin metadata base64 without padding; END_STREAM")
  func requestHeaders() throws {
    let harness = try StreamHarness()
    var metadata: Metadata = ["x-name": "value", "x-data-bin": .binary([1, 2, 3, 4])]
    metadata.addString("1000m", forKey: "grpc-timeout")
    try harness.channel.writeOutbound(ClientOutboundPart.metadata(metadata))
    try harness.channel.writeOutbound(ClientOutboundPart.message(RPCBytes([9, 9])))
    try harness.channel.writeOutbound(ClientOutboundPart.end)
    guard case .headers(let frame)? = try harness.channel.readOutbound(as: HTTP2Frame.FramePayload.self)
    else {
      Issue.record("no HEADERS")
      return
    }
    let names = frame.headers.map(\.name)
    #expect(
      Array(names.prefix(7)) == [
        ":method", ":scheme", ":path", ":authority", "content-type", "te", "grpc-timeout",
      ])
    #expect(frame.headers.first(name: ":path") == "/sehc.test.Echo/Unary")
    #expect(frame.headers.first(name: "te") == "trailers")
    #expect(frame.headers.first(name: "x-data-bin") == "AQIDBA")
    #expect(frame.headers[canonicalForm: "grpc-timeout"].count == 1)
    guard case .data(let data)? = try harness.channel.readOutbound(as: HTTP2Frame.FramePayload.self),
      case .byteBuffer(let buffer) = data.data
    else {
      Issue.record("no DATA")
      return
    }
    #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 2, 9, 9])
    guard case .data(let end)? = try harness.channel.readOutbound(as: HTTP2Frame.FramePayload.self) else {
      Issue.record("no END_STREAM")
      return
    }
    #expect(end.endStream)
  }

  @Test("Messages split at every possible byte boundary are reassembled")
  func deframing() throws {
    let harness = try StreamHarness()
    try harness.headers(StreamHarness.okHeaders)
    let stream = framed([1, 2, 3]) + framed([]) + framed(Array(repeating: 7, count: 300))
    for byte in stream { try harness.data([byte]) }
    try harness.headers([("grpc-status", "0")], endStream: true)
    let parts = try harness.parts()
    var messages: [[UInt8]] = []
    for part in parts {
      if case .message(let bytes) = part { messages.append(Array(bytes.buffer.readableBytesView)) }
    }
    #expect(messages == [[1, 2, 3], [], Array(repeating: 7, count: 300)])
    guard case .status(let status, _)? = parts.last else {
      Issue.record("no status")
      return
    }
    #expect(status.code == .ok)
  }

  @Test(
    "HTTP status without grpc-status maps per the gRPC spec",
    arguments: [
      (400, Status.Code.internalError), (401, .unauthenticated), (403, .permissionDenied),
      (404, .unimplemented),
      (429, .unavailable), (431, .internalError), (502, .unavailable), (503, .unavailable),
      (504, .unavailable),
      (500, .unknown),
    ])
  func httpStatus(http: Int, code: Status.Code) throws {
    let harness = try StreamHarness()
    try harness.headers([(":status", String(http)), ("content-type", "text/html")], endStream: true)
    #expect(try harness.status()?.code == code)
  }

  @Test("Trailers-Only with grpc-status and a percent-encoded grpc-message; malformed escapes kept")
  func trailersOnly() throws {
    let harness = try StreamHarness()
    try harness.headers(
      StreamHarness.okHeaders + [("grpc-status", "5"), ("grpc-message", "not%20found%E2%98%BA%2")],
      endStream: true)
    let status = try #require(try harness.status())
    #expect(status.code == .notFound)
    #expect(status.message == "not found☺%2")
  }

  @Test("Trailers without grpc-status: UNKNOWN; an invalid grpc-status: UNKNOWN")
  func missingStatus() throws {
    let harness = try StreamHarness()
    try harness.headers(StreamHarness.okHeaders)
    try harness.headers([("x-other", "1")], endStream: true)
    #expect(try harness.status()?.code == .unknown)
    let invalid = try StreamHarness()
    try invalid.headers(StreamHarness.okHeaders)
    try invalid.headers([("grpc-status", "99")], endStream: true)
    #expect(try invalid.status()?.code == .unknown)
  }

  @Test("A 200 response that is not application/grpc: UNKNOWN")
  func wrongContentType() throws {
    let harness = try StreamHarness()
    try harness.headers([(":status", "200"), ("content-type", "text/html")])
    #expect(try harness.status()?.code == .unknown)
  }

  @Test(
    "RST_STREAM codes map per the gRPC spec",
    arguments: [
      (HTTP2ErrorCode.refusedStream, Status.Code.unavailable), (.cancel, .cancelled),
      (.enhanceYourCalm, .resourceExhausted), (.inadequateSecurity, .permissionDenied),
      (.protocolError, .internalError),
    ])
  func reset(code: HTTP2ErrorCode, status: Status.Code) throws {
    let harness = try StreamHarness()
    try harness.headers(StreamHarness.okHeaders)
    try harness.channel.writeInbound(HTTP2Frame.FramePayload.rstStream(code))
    #expect(try harness.status()?.code == status)
  }

  @Test("A compressed message without grpc-encoding: INTERNAL; a response over the limit: RESOURCE_EXHAUSTED")
  func badMessages() throws {
    let compressed = try StreamHarness()
    try compressed.headers(StreamHarness.okHeaders)
    try compressed.data(framed([1], compressed: true))
    #expect(try compressed.status()?.code == .internalError)

    let large = try StreamHarness(maxResponseSize: 10)
    try large.headers(StreamHarness.okHeaders)
    try large.data(Array(framed(Array(repeating: 1, count: 11)).prefix(5)))  // the prefix alone decides
    let status = try #require(try large.status())
    #expect(status.code == .resourceExhausted)
    #expect(!large.channel.isActive)  // the stream is reset rather than read to its end
  }

  @Test("END_STREAM on DATA without trailers: INTERNAL; one status only, whatever follows")
  func endWithoutTrailers() throws {
    let harness = try StreamHarness()
    try harness.headers(StreamHarness.okHeaders)
    try harness.data(framed([1]), endStream: true)
    try harness.channel.writeInbound(HTTP2Frame.FramePayload.rstStream(.cancel))
    let statuses = try harness.parts().compactMap { part -> Status? in
      if case .status(let status, _) = part { return status } else { return nil }
    }
    #expect(statuses.map(\.code) == [.internalError])
  }

  @Test("Percent-encoding and -bin base64 round trips")
  func encodings() {
    let message = "\t\ntest ☺ 😈 100%"
    #expect(PercentEncoding.decode(PercentEncoding.encode(message)) == message)
    #expect(PercentEncoding.encode("a%b") == "a%25b")
    #expect(BinaryHeader.encode([0xAB, 0xAB, 0xAB, 0xAB]) == "q6urqw")
    #expect(BinaryHeader.decode("q6urqw") == [0xAB, 0xAB, 0xAB, 0xAB])
    #expect(BinaryHeader.decode("q6urqw==") == [0xAB, 0xAB, 0xAB, 0xAB])
    #expect(BinaryHeader.decode("AQ,Ag==") == [1, 2])
  }
}
