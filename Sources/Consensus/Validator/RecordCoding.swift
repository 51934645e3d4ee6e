import Foundation

/// Encoding of persisted records: JSON of `Codable` values (wire messages inside them are their
/// serialized bytes).
enum RecordCoding {
  static func encode<T: Encodable>(_ value: T) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // Records are plain structs of integers, strings and bytes: encoding cannot fail.
    return try! encoder.encode(value)
  }

  static func decode<T: Decodable>(_ type: T.Type, from data: Data) -> T? {
    try? JSONDecoder().decode(type, from: data)
  }
}
