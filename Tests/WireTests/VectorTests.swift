import Foundation
import Testing
import Wire

/// The interop vectors, read back by the Swift side: bytes -> message -> JSON and JSON -> message ->
/// bytes must reproduce the vector exactly (Python checks the same vectors in Interop/tests).
struct VectorTests {
  struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    var type: String
    var name: String
    var hex: String
    var json: String
    var testDescription: String { "\(type):\(name)" }
  }

  static let vectors: [Vector] = {
    struct File: Decodable { var vectors: [Vector] }
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../../Interop/vectors/messages.json").standardized
    let data = try! Data(contentsOf: url)
    return try! JSONDecoder().decode(File.self, from: data).vectors
  }()

  @Test func everyRegisteredTypeHasVectors() {
    let covered = Set(Self.vectors.map(\.type))
    #expect(Set(WireSchema.registry.names) == covered)
  }

  @Test(arguments: vectors)
  func bytesToJSON(_ vector: Vector) throws {
    let message = try WireSchema.registry.decode(vector.type, from: hexBytes(vector.hex))
    #expect(message.jsonString() == vector.json)
  }

  @Test(arguments: vectors)
  func jsonToBytes(_ vector: Vector) throws {
    let message = try WireSchema.registry.decode(vector.type, json: Data(vector.json.utf8))
    #expect(try message.serializedBytes() == hexBytes(vector.hex))
  }
}

func hexBytes(_ hex: String) -> [UInt8] {
  var bytes: [UInt8] = []
  var index = hex.startIndex
  while index < hex.endIndex {
    let next = hex.index(index, offsetBy: 2)
    bytes.append(UInt8(hex[index..<next], radix: 16)!)
    index = next
  }
  return bytes
}
