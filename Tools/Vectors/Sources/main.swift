import Foundation
import Wire

/// sehc-vectors: writes the interop test vectors of Interop/vectors from the generated samples.
///
///   sehc-vectors --out DIR
///
/// Every sample is encoded with protobuf-c and mapped to canonical JSON; before it is written, the
/// vector must round-trip in Swift (bytes -> message and JSON -> message give the sample back, and
/// both re-encode to the same bytes). Output is deterministic.
func run() throws {
  let arguments = Array(CommandLine.arguments.dropFirst())
  guard arguments.count == 2, arguments[0] == "--out" else {
    throw VectorError("usage: sehc-vectors --out DIR")
  }
  let out = URL(fileURLWithPath: arguments[1])
  try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
  try writeMessageVectors(to: out.appendingPathComponent("messages.json"))
  try SigningVectors.make().write(to: out.appendingPathComponent("signing.json"))
}

struct VectorError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

func writeMessageVectors(to url: URL) throws {
  var lines: [String] = []
  for (name, message) in WireSamples.all() {
    lines.append(try vectorLine(name: name, message: message))
  }
  let text =
    "{\"format\":\"sehc-interop-vectors/1\",\"description\":"
    + jsonString(
      "Every message type of Proto/: binary encoding (hex) and proto3 canonical JSON (compact, fields in number order), as produced by protobuf-c and by the Swift JSON mapping. See Interop/README.md."
    )
    + ",\"vectors\":[\n" + lines.joined(separator: ",\n") + "\n]}\n"
  try Data(text.utf8).write(to: url)
  print("wrote \(lines.count) message vectors to \(url.path)")
}

func vectorLine<M: WireMessage>(name: String, message: M) throws -> String {
  let bytes = try message.serializedBytes()
  let json = message.jsonString()
  let fromBytes = try M(serializedBytes: bytes)
  let fromJSON = try M(jsonString: json)
  guard fromBytes == message, fromJSON == message, try fromJSON.serializedBytes() == bytes else {
    throw VectorError("\(M.protoMessageName) \(name): does not round-trip in Swift")
  }
  let hex = bytes.map { String(format: "%02x", $0) }.joined()
  return
    "{\"type\":\(jsonString(M.protoMessageName)),\"name\":\(jsonString(name)),\"hex\":\"\(hex)\",\"json\":\(jsonString(json))}"
}

/// A JSON string literal (non-ASCII kept, control characters escaped).
func jsonString(_ text: String) -> String {
  var result = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": result += "\\\""
    case "\\": result += "\\\\"
    case "\n": result += "\\n"
    case "\r": result += "\\r"
    case "\t": result += "\\t"
    default:
      if scalar.value < 0x20 {
        result += String(format: "\\u%04x", scalar.value)
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
  }
  return result + "\""
}

do {
  try run()
} catch {
  FileHandle.standardError.write(Data("sehc-vectors: \(error)\n".utf8))
  exit(1)
}
