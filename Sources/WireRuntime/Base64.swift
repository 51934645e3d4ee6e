internal import Foundation

/// Base64 as proto3 JSON reads it: standard or URL-safe alphabet, with or without padding.
enum Base64 {
  static func decode(_ text: String) -> Data? {
    var normalized = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
    let remainder = normalized.count % 4
    if remainder == 1 { return nil }
    if remainder > 0 { normalized += String(repeating: "=", count: 4 - remainder) }
    return Data(base64Encoded: normalized)
  }
}
