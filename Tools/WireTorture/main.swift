import Foundation
import Wire

/// wire-torture: the decoding torture run that `make test` executes under AddressSanitizer and
/// LeakSanitizer (Tools/scripts/asan.sh), where a crash, an out-of-bounds access or a leak fails it.
///
/// For every interop vector it decodes every prefix, thousands of mutations and random garbage, and
/// round-trips what decodes; it also decodes hostile shapes (100,000 nested unknown fields, oversized
/// input, NUL and invalid UTF-8 in strings) and large byte fields through both copy and zero-copy paths.
/// It exits non-zero if any decode fails with something other than a WireError or a decoded message
/// does not round-trip.
struct Failure: Error, CustomStringConvertible {
  var description: String
}

func run(vectorsPath: String, seed: UInt64) throws {
  struct File: Decodable {
    struct Vector: Decodable { var type: String; var name: String; var hex: String; var json: String }
    var vectors: [Vector]
  }
  let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: vectorsPath)))
  var generator = SplitMix64(seed: seed)
  var decoded = 0
  var rejected = 0

  func attempt(_ type: any WireMessage.Type, _ bytes: [UInt8]) throws {
    do {
      let message = try type.init(serializedBytes: bytes, limits: .default)
      let again = try type.init(serializedBytes: try message.serializedBytes(), limits: .default)
      guard again.jsonString() == message.jsonString() else {
        throw Failure(description: "\(type.protoMessageName): \(bytes) does not round-trip")
      }
      _ = try type.init(jsonString: message.jsonString(), limits: .default)
      decoded += 1
    } catch is WireError {
      rejected += 1
    }
  }

  for vector in file.vectors {
    let type = try WireSchema.registry.type(named: vector.type)
    let bytes = hex(vector.hex)
    for length in 0...bytes.count { try attempt(type, Array(bytes[0..<length])) }
    for _ in 0..<200 where !bytes.isEmpty {
      var mutated = bytes
      for _ in 0..<Int.random(in: 1...3, using: &generator) {
        mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(
          in: 0...255, using: &generator)
      }
      try attempt(type, mutated)
    }
    for _ in 0..<50 {
      try attempt(
        type,
        (0..<Int.random(in: 0..<128, using: &generator)).map { _ in
          UInt8.random(in: 0...255, using: &generator)
        })
    }
  }

  var nested: [UInt8] = []
  for _ in 0..<100_000 { nested = [0x9A, 0x06] + varint(UInt64(nested.count)) + nested }
  try attempt(Signature.self, nested)
  try attempt(TransactionBody.self, [0x0A, 0x05, 0x61, 0x62, 0x00, 0x63, 0x64])
  try attempt(TransactionBody.self, [0x0A, 0x02, 0xC3, 0x28])
  do {
    _ = try ChunkReplica(
      serializedBytes: [UInt8](repeating: 0, count: 2048), limits: DecodingLimits(maxBytes: 1024, maxDepth: 4)
    )
    throw Failure(description: "oversized input was accepted")
  } catch is WireError {}
  for size in [16 * 1024, 1 << 20, 3 << 20] {
    let chunk = ChunkReplica(index: 1, data: Data((0..<size).map { UInt8(truncatingIfNeeded: $0) }))
    guard try ChunkReplica(serializedBytes: try chunk.serializedData()) == chunk else {
      throw Failure(description: "a \(size)-byte chunk does not round-trip")
    }
  }
  for (count, size) in [(2000, 370), (100, 20 * 1024)] {
    let block = TBlock(
      header: Data(repeating: 7, count: 150),
      entries: (0..<count).map {
        Data(repeating: UInt8(truncatingIfNeeded: $0), count: $0 % 5 == 0 ? 0 : size)
      },
      decision: Data([0xFF]))
    guard try TBlock(serializedBytes: try block.serializedData()) == block else {
      throw Failure(description: "a TBlock of \(count) entries of \(size) bytes does not round-trip")
    }
  }
  print(
    "wire-torture: \(file.vectors.count) vectors, \(decoded) inputs decoded and round-tripped, \(rejected) rejected with WireError"
  )
}

func hex(_ text: String) -> [UInt8] {
  stride(from: 0, to: text.count, by: 2).map {
    let start = text.index(text.startIndex, offsetBy: $0)
    return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)!
  }
}

func varint(_ value: UInt64) -> [UInt8] {
  var value = value
  var bytes: [UInt8] = []
  repeat {
    bytes.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
    value >>= 7
  } while value != 0
  return bytes
}

struct SplitMix64: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

let arguments = CommandLine.arguments
let vectors = arguments.count > 1 ? arguments[1] : "Interop/vectors/messages.json"
let seed = arguments.count > 2 ? UInt64(arguments[2]) ?? 1 : 1
do {
  try run(vectorsPath: vectors, seed: seed)
} catch {
  FileHandle.standardError.write(Data("wire-torture: FAILED: \(error)\n".utf8))
  exit(1)
}
