import ArgumentParser
import Foundation
import Wire

/// `sehc wire`: convert between the binary wire format and proto3 canonical JSON.
struct WireCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "wire",
    abstract: "Convert messages between protobuf binary and canonical JSON.",
    discussion: """
      Types are fully qualified protobuf names, for example sehc.v1.TransactionBody; `sehc wire types` \
      lists them. Input comes from standard input unless --input names a file; output goes to standard \
      output. JSON output is exactly what Python's google.protobuf.json_format produces.
      """,
    subcommands: [WireDecode.self, WireEncode.self, WireTypes.self]
  )
}

struct WireDecode: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decode", abstract: "Print the canonical JSON of a binary message.")

  @Option(help: "The message type, e.g. sehc.v1.TransactionBody.")
  var type: String

  @Option(help: "Read from this file instead of standard input.")
  var input: String?

  @Flag(help: "The input is hexadecimal text rather than raw bytes.")
  var hex = false

  @Flag(help: "Print compact JSON on one line instead of indented JSON.")
  var compact = false

  func run() async throws {
    try await reportingFailures("sehc wire decode") {
      let messageType = try lookUp(type)
      var bytes = try readInput(input)
      if hex { bytes = try decodeHex(bytes) }
      let message: any WireMessage
      do {
        message = try messageType.init(serializedBytes: bytes, limits: .default)
      } catch let error as WireError {
        throw CommandFailure.badData("input is not a valid \(type): \(error)")
      }
      print(message.jsonString(pretty: !compact))
    }
  }
}

struct WireEncode: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "encode", abstract: "Encode canonical JSON as a binary message.")

  @Option(help: "The message type, e.g. sehc.v1.TransactionBody.")
  var type: String

  @Option(help: "Read JSON from this file instead of standard input.")
  var input: String?

  @Option(help: "Write the bytes to this file instead of standard output.")
  var output: String?

  @Flag(help: "Write hexadecimal text instead of raw bytes.")
  var hex = false

  func run() async throws {
    try await reportingFailures("sehc wire encode") {
      let messageType = try lookUp(type)
      let json = try readInput(input)
      let message: any WireMessage
      let bytes: Data
      do {
        message = try messageType.init(jsonUTF8Data: json, limits: .default)
        bytes = try message.serializedData()
      } catch let error as WireError {
        throw CommandFailure.badData("input is not valid JSON for \(type): \(error)")
      }
      if hex {
        try writeOutput(Data((bytes.map { String(format: "%02x", $0) }.joined() + "\n").utf8), to: output)
      } else {
        if output == nil && isatty(STDOUT_FILENO) != 0 {
          throw CommandFailure.usage(
            "refusing to write binary to a terminal; use --output FILE, a pipe, or --hex")
        }
        try writeOutput(bytes, to: output)
      }
    }
  }
}

struct WireTypes: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "types", abstract: "List the message types.")

  func run() async throws {
    for name in WireSchema.registry.names { print(name) }
  }
}

private func lookUp(_ name: String) throws -> any WireMessage.Type {
  do {
    return try WireSchema.registry.type(named: name)
  } catch let error as WireError {
    throw CommandFailure.usage(error.detail)
  }
}

private func decodeHex(_ data: Data) throws -> Data {
  let text = String(decoding: data, as: UTF8.self).filter { !$0.isWhitespace }
  guard text.count % 2 == 0 else { throw CommandFailure.badData("hex input has an odd number of digits") }
  var bytes = Data(capacity: text.count / 2)
  var index = text.startIndex
  while index < text.endIndex {
    let next = text.index(index, offsetBy: 2)
    guard let byte = UInt8(text[index..<next], radix: 16) else {
      throw CommandFailure.badData("hex input contains \"\(text[index..<next])\", which is not a hex byte")
    }
    bytes.append(byte)
    index = next
  }
  return bytes
}
