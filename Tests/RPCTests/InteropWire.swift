import GRPCCore
import RPC

/// A minimal protobuf reader and writer for the handful of `grpc.testing` messages the interop
/// cases use (Interop/Proto/grpc/testing/messages.proto). Stand-in until the generated protobuf-c
/// types exist; only the fields the 14 portable cases touch are decoded.
enum InteropWire {
  // MARK: Encoding

  static func varint(_ value: UInt64, into out: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      out.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    out.append(UInt8(value))
  }

  static func field(_ number: Int, varint value: Int, into out: inout [UInt8]) {
    guard value != 0 else { return }
    varint(UInt64(number << 3), into: &out)
    varint(UInt64(bitPattern: Int64(value)), into: &out)
  }

  static func field(_ number: Int, bytes: [UInt8], into out: inout [UInt8]) {
    varint(UInt64(number << 3 | 2), into: &out)
    varint(UInt64(bytes.count), into: &out)
    out += bytes
  }

  /// `Payload { bytes body = 2; }` with `size` zero bytes.
  static func payload(size: Int) -> [UInt8] {
    var out: [UInt8] = []
    if size > 0 { field(2, bytes: [UInt8](repeating: 0, count: size), into: &out) }
    return out
  }

  /// `SimpleResponse` / `StreamingOutputCallResponse`: `Payload payload = 1`.
  static func responseWithPayload(size: Int) -> [UInt8] {
    var out: [UInt8] = []
    field(1, bytes: payload(size: size), into: &out)
    return out
  }

  /// `StreamingInputCallResponse { int32 aggregated_payload_size = 1; }`
  static func aggregated(_ size: Int) -> [UInt8] {
    var out: [UInt8] = []
    field(1, varint: size, into: &out)
    return out
  }

  /// `SimpleRequest { int32 response_size = 2; Payload payload = 3; EchoStatus response_status = 7; }`
  static func simpleRequest(responseSize: Int, payloadSize: Int, status: (Int, String)? = nil) -> [UInt8] {
    var out: [UInt8] = []
    field(2, varint: responseSize, into: &out)
    field(3, bytes: payload(size: payloadSize), into: &out)
    if let status { field(7, bytes: echoStatus(status), into: &out) }
    return out
  }

  /// `StreamingOutputCallRequest { repeated ResponseParameters response_parameters = 2;
  /// Payload payload = 3; EchoStatus response_status = 7; }`
  static func streamingOutputRequest(sizes: [Int], payloadSize: Int = 0, status: (Int, String)? = nil)
    -> [UInt8]
  {
    var out: [UInt8] = []
    for size in sizes {
      var parameters: [UInt8] = []
      field(1, varint: size, into: &parameters)
      field(2, bytes: parameters, into: &out)
    }
    if payloadSize > 0 { field(3, bytes: payload(size: payloadSize), into: &out) }
    if let status { field(7, bytes: echoStatus(status), into: &out) }
    return out
  }

  /// `StreamingInputCallRequest { Payload payload = 1; }`
  static func streamingInputRequest(payloadSize: Int) -> [UInt8] {
    var out: [UInt8] = []
    field(1, bytes: payload(size: payloadSize), into: &out)
    return out
  }

  static func echoStatus(_ status: (Int, String)) -> [UInt8] {
    var out: [UInt8] = []
    field(1, varint: status.0, into: &out)
    field(2, bytes: Array(status.1.utf8), into: &out)
    return out
  }

  // MARK: Decoding

  /// The fields of one message: number → values (varints as Int, length-delimited as bytes).
  struct Fields {
    var varints: [Int: [Int]] = [:]
    var bytes: [Int: [[UInt8]]] = [:]

    func int(_ number: Int) -> Int { varints[number]?.last ?? 0 }
    func message(_ number: Int) -> Fields? { bytes[number]?.last.flatMap { try? InteropWire.decode($0) } }
    func messages(_ number: Int) -> [Fields] {
      (bytes[number] ?? []).compactMap { try? InteropWire.decode($0) }
    }
    func data(_ number: Int) -> [UInt8] { bytes[number]?.last ?? [] }
  }

  struct Malformed: Error {}

  static func decode(_ message: [UInt8]) throws -> Fields {
    var fields = Fields()
    var index = 0
    func readVarint() throws -> UInt64 {
      var result: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard index < message.count, shift < 64 else { throw Malformed() }
        let byte = message[index]
        index += 1
        result |= UInt64(byte & 0x7F) << shift
        if byte < 0x80 { return result }
        shift += 7
      }
    }
    while index < message.count {
      let key = try readVarint()
      let number = Int(key >> 3)
      switch key & 7 {
      case 0: fields.varints[number, default: []].append(Int(truncatingIfNeeded: try readVarint()))
      case 2:
        let length = Int(try readVarint())
        guard length >= 0, index + length <= message.count else { throw Malformed() }
        fields.bytes[number, default: []].append(Array(message[index..<index + length]))
        index += length
      case 1: index += 8
      case 5: index += 4
      default: throw Malformed()
      }
    }
    return fields
  }

  /// The size of `payload.body` in a message whose payload is field `number`.
  static func payloadSize(_ message: [UInt8], field number: Int = 1) -> Int {
    ((try? decode(message))?.message(number)?.data(2).count) ?? 0
  }
}

/// The grpc.testing service and method names.
enum TestService {
  static let service = ServiceDescriptor(fullyQualifiedService: "grpc.testing.TestService")
  static let emptyCall = MethodDescriptor(service: service, method: "EmptyCall")
  static let unaryCall = MethodDescriptor(service: service, method: "UnaryCall")
  static let streamingOutputCall = MethodDescriptor(service: service, method: "StreamingOutputCall")
  static let streamingInputCall = MethodDescriptor(service: service, method: "StreamingInputCall")
  static let fullDuplexCall = MethodDescriptor(service: service, method: "FullDuplexCall")
  static let halfDuplexCall = MethodDescriptor(service: service, method: "HalfDuplexCall")
  static let unimplementedCall = MethodDescriptor(service: service, method: "UnimplementedCall")
  static let unimplementedService = MethodDescriptor(
    service: ServiceDescriptor(fullyQualifiedService: "grpc.testing.UnimplementedService"),
    method: "UnimplementedCall")
}

/// The interop TestService on our server, over raw bytes with `InteropWire`.
struct InteropTestService: RegistrableRPCService {
  static let echoInitial = "x-grpc-test-echo-initial"
  static let echoTrailing = "x-grpc-test-echo-trailing-bin"

  static func echoed(_ metadata: Metadata) -> (initial: Metadata, trailing: Metadata) {
    var initial = Metadata()
    var trailing = Metadata()
    for value in metadata[stringValues: echoInitial] { initial.addString(value, forKey: echoInitial) }
    for value in metadata[binaryValues: echoTrailing] { trailing.addBinary(value, forKey: echoTrailing) }
    return (initial, trailing)
  }

  static func fail(_ status: InteropWire.Fields?) throws {
    guard let status, status.int(1) != 0 else { return }
    let code = Status.Code(rawValue: status.int(1)).flatMap { RPCError.Code($0) } ?? .unknown
    throw RPCError(code: code, message: String(decoding: status.data(2), as: UTF8.self))
  }

  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    let de = RawBytesDeserializer()
    let se = RawBytesSerializer()
    router.registerHandler(forMethod: TestService.emptyCall, deserializer: de, serializer: se) { request, _ in
      let (initial, trailing) = Self.echoed(request.metadata)
      return StreamingServerResponse(metadata: initial) { writer in
        for try await _ in request.messages { try await writer.write([]) }
        return trailing
      }
    }
    router.registerHandler(forMethod: TestService.unaryCall, deserializer: de, serializer: se) { request, _ in
      let (initial, trailing) = Self.echoed(request.metadata)
      return StreamingServerResponse(metadata: initial) { writer in
        for try await message in request.messages {
          let fields = try InteropWire.decode(message)
          try Self.fail(fields.message(7))
          try await writer.write(InteropWire.responseWithPayload(size: fields.int(2)))
        }
        return trailing
      }
    }
    router.registerHandler(forMethod: TestService.streamingOutputCall, deserializer: de, serializer: se) {
      request, _ in
      StreamingServerResponse { writer in
        for try await message in request.messages {
          let fields = try InteropWire.decode(message)
          for parameters in fields.messages(2) {
            if parameters.int(2) > 0 { try await Task.sleep(for: .microseconds(parameters.int(2))) }
            try await writer.write(InteropWire.responseWithPayload(size: parameters.int(1)))
          }
          try Self.fail(fields.message(7))
        }
        return [:]
      }
    }
    router.registerHandler(forMethod: TestService.streamingInputCall, deserializer: de, serializer: se) {
      request, _ in
      StreamingServerResponse { writer in
        var total = 0
        for try await message in request.messages { total += InteropWire.payloadSize(message) }
        try await writer.write(InteropWire.aggregated(total))
        return [:]
      }
    }
    router.registerHandler(forMethod: TestService.fullDuplexCall, deserializer: de, serializer: se) {
      request, _ in
      let (initial, trailing) = Self.echoed(request.metadata)
      return StreamingServerResponse(metadata: initial) { writer in
        for try await message in request.messages {
          let fields = try InteropWire.decode(message)
          try Self.fail(fields.message(7))
          for parameters in fields.messages(2) {
            if parameters.int(2) > 0 { try await Task.sleep(for: .microseconds(parameters.int(2))) }
            try await writer.write(InteropWire.responseWithPayload(size: parameters.int(1)))
          }
        }
        return trailing
      }
    }
    router.registerHandler(forMethod: TestService.halfDuplexCall, deserializer: de, serializer: se) {
      request, _ in
      StreamingServerResponse { writer in
        var sizes: [Int] = []
        for try await message in request.messages {
          sizes += try InteropWire.decode(message).messages(2).map { $0.int(1) }
        }
        for size in sizes { try await writer.write(InteropWire.responseWithPayload(size: size)) }
        return [:]
      }
    }
  }
}
