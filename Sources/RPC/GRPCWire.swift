import Foundation
public import GRPCCore
import NIOCore
import NIOHPACK
import NIOHTTP2

/// The transport's bag of bytes: a NIO `ByteBuffer`, so messages move between the serializer and
/// the network without copies.
public struct RPCBytes: GRPCContiguousBytes, Sendable, Hashable {
  /// The bytes.
  public var buffer: ByteBuffer

  public init(buffer: ByteBuffer) { self.buffer = buffer }

  public init(repeating: UInt8, count: Int) {
    buffer = ByteBuffer(repeating: repeating, count: count)
  }

  public init(_ sequence: some Sequence<UInt8>) {
    buffer = ByteBuffer(bytes: sequence)
  }

  public var count: Int { buffer.readableBytes }

  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try buffer.withUnsafeReadableBytes(body)
  }

  public mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows
    -> R
  {
    try buffer.withUnsafeMutableReadableBytes(body)
  }
}

/// Splits a stream of DATA payloads into gRPC Length-Prefixed-Messages (1-byte compressed flag,
/// 4-byte big-endian length, message), whatever the DATA frame boundaries.
struct MessageDeframer {
  enum Failure: Error, Equatable {
    /// The length prefix announces more than the limit.
    case tooLarge(length: Int, limit: Int)
    /// The compressed flag is set but no compression was negotiated.
    case compressedWithoutEncoding
    /// The flag byte is neither 0 nor 1.
    case invalidFlag(UInt8)
  }

  private var buffer = ByteBuffer()
  let maxMessageSize: Int

  init(maxMessageSize: Int) { self.maxMessageSize = maxMessageSize }

  /// Bytes received but not yet part of a complete message.
  var bufferedBytes: Int { buffer.readableBytes }

  mutating func append(_ data: ByteBuffer) {
    if buffer.readableBytes == 0 {
      buffer = data
    } else {
      var data = data
      buffer.writeBuffer(&data)
    }
  }

  /// The next complete message, or nil if more bytes are needed.
  mutating func next() throws(Failure) -> ByteBuffer? {
    guard let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
      let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
    else { return nil }
    switch flag {
    case 0: break
    case 1: throw .compressedWithoutEncoding
    default: throw .invalidFlag(flag)
    }
    // Checked as soon as the prefix is in, so an oversized message is never buffered.
    guard Int(length) <= maxMessageSize else { throw .tooLarge(length: Int(length), limit: maxMessageSize) }
    guard buffer.readableBytes >= 5 + Int(length) else { return nil }
    buffer.moveReaderIndex(forwardBy: 5)
    let message = buffer.readSlice(length: Int(length))!
    if buffer.readableBytes == 0 {
      buffer.clear()
    } else if buffer.readerIndex > 1 << 16 {
      buffer.discardReadBytes()
    }
    return message
  }
}

/// Frames one message: the 5-byte prefix, then the message, in one buffer.
func frameMessage(_ message: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
  var framed = allocator.buffer(capacity: 5 + message.readableBytes)
  framed.writeInteger(UInt8(0))
  framed.writeInteger(UInt32(message.readableBytes))
  var message = message
  framed.writeBuffer(&message)
  return framed
}

/// `grpc-message` percent-encoding: bytes outside 0x20–0x7E and `%` become `%XX`.
enum PercentEncoding {
  static func encode(_ message: String) -> String {
    var out = ""
    out.reserveCapacity(message.utf8.count)
    for byte in message.utf8 {
      if byte >= 0x20 && byte <= 0x7E && byte != UInt8(ascii: "%") {
        out.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        out += String(format: "%%%02X", byte)
      }
    }
    return out
  }

  /// Decodes `%XX` sequences; malformed ones are kept as they are (decoders must not fail).
  static func decode(_ encoded: String) -> String {
    let bytes = Array(encoded.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    func hex(_ byte: UInt8) -> UInt8? {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
      default: nil
      }
    }
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let high = hex(bytes[i + 1]),
        let low = hex(bytes[i + 2])
      {
        out.append(high << 4 | low)
        i += 3
      } else {
        out.append(bytes[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// Base64 for `-bin` metadata: emit unpadded, accept padded and unpadded, values split on ",".
enum BinaryHeader {
  static func encode(_ bytes: [UInt8]) -> String {
    var text = Data(bytes).base64EncodedString()
    while text.last == "=" { text.removeLast() }
    return text
  }

  static func decode(_ value: String) -> [UInt8]? {
    var result: [UInt8] = []
    for part in value.split(separator: ",", omittingEmptySubsequences: true) {
      var text = part.trimmingCharacters(in: .whitespaces)
      while text.count % 4 != 0 { text += "=" }
      guard let data = Data(base64Encoded: text) else { return nil }
      result += data
    }
    return result
  }
}

/// Header names that belong to the protocol rather than to the application's metadata.
let reservedHeaders: Set<String> = [
  "content-type", "te", "user-agent", "grpc-encoding", "grpc-accept-encoding", "grpc-status", "grpc-message",
  "grpc-status-details-bin", "grpc-timeout", "content-length", "grpc-message-type",
]

extension Metadata {
  /// The application metadata in received HTTP/2 headers: pseudo-headers and reserved names are
  /// dropped, `-bin` values are base64-decoded.
  init(received headers: HPACKHeaders) {
    self.init()
    for (name, value, _) in headers {
      if name.hasPrefix(":") || reservedHeaders.contains(name) { continue }
      if name.hasSuffix("-bin") {
        if let bytes = BinaryHeader.decode(value) { addBinary(bytes, forKey: name) }
      } else {
        addString(value, forKey: name)
      }
    }
  }

  /// Appends this metadata to outgoing headers (names lowercased, binary values base64-encoded).
  func write(to headers: inout HPACKHeaders, skippingTimeout: Bool) {
    for (key, value) in self {
      let name = key.lowercased()
      if name.hasPrefix(":") || (skippingTimeout && name == "grpc-timeout") { continue }
      switch value {
      case .string(let text): headers.add(name: name, value: text)
      case .binary(let bytes):
        headers.add(name: name.hasSuffix("-bin") ? name : name + "-bin", value: BinaryHeader.encode(bytes))
      }
    }
  }
}

/// Status mapping for responses without `grpc-status` (doc/http-grpc-status-mapping.md).
func statusCode(forHTTPStatus status: Int) -> Status.Code {
  switch status {
  case 400, 431: .internalError
  case 401: .unauthenticated
  case 403: .permissionDenied
  case 404: .unimplemented
  case 429, 502, 503, 504: .unavailable
  default: .unknown
  }
}

/// Status for a stream reset by the peer (RST_STREAM error code).
func statusCode(forReset code: HTTP2ErrorCode) -> Status.Code {
  switch code {
  case .refusedStream: .unavailable
  case .cancel: .cancelled
  case .enhanceYourCalm: .resourceExhausted
  case .inadequateSecurity: .permissionDenied
  default: .internalError
  }
}

/// Parses `grpc-status` / `grpc-message` from trailers (or a Trailers-Only response).
func status(fromTrailers headers: HPACKHeaders) -> Status {
  let message = headers.first(name: "grpc-message").map(PercentEncoding.decode) ?? ""
  guard let text = headers.first(name: "grpc-status") else {
    if let http = headers.first(name: ":status").flatMap(Int.init), http != 200 {
      return Status(code: statusCode(forHTTPStatus: http), message: "HTTP status \(http)")
    }
    return Status(code: .unknown, message: "the response has no grpc-status")
  }
  guard let value = Int(text), let code = Status.Code(rawValue: value) else {
    return Status(code: .unknown, message: "invalid grpc-status '\(text)'")
  }
  return Status(code: code, message: message)
}
