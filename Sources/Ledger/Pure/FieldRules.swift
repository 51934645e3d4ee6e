import ChainCrypto
import Foundation
import Wire

/// Format rules of transaction fields (docs/ledger.md, "Form rules"). Each throws a `Rejection` that
/// names the field.
enum FieldRules {
  static func address(_ bytes: Data, _ field: String) throws(Rejection) {
    guard bytes.count == Address.byteCount else {
      throw .field(.invalidAddress, field, "expected a 20-byte address, got \(bytes.count) bytes")
    }
  }

  static func id(_ bytes: Data, _ field: String) throws(Rejection) {
    guard bytes.count == SHA256.byteCount else {
      throw .field(.invalidID, field, "expected a 32-byte id, got \(bytes.count) bytes")
    }
  }

  /// An id that may be empty (meaning "all").
  static func optionalID(_ bytes: Data, _ field: String) throws(Rejection) {
    if !bytes.isEmpty { try id(bytes, field) }
  }

  /// UTF-8 length between `min` and `max` bytes.
  static func text(_ value: String, _ field: String, min: Int = 0, max: Int) throws(Rejection) {
    let count = value.utf8.count
    guard count >= min, count <= max else {
      let range = min == 0 ? "at most \(max) bytes" : "\(min) to \(max) bytes"
      throw .field(.invalidText, field, "must be \(range), got \(count)")
    }
  }

  /// A record or image kind: 1 to 64 bytes of [a-z0-9-].
  static func kind(_ value: String, _ field: String) throws(Rejection) {
    try text(value, field, min: 1, max: 64)
    guard value.utf8.allSatisfy({ isLowerAlnum($0) || $0 == 0x2d }) else {
      throw .field(.invalidText, field, "\"\(value)\" must be lowercase ASCII letters, digits and '-'")
    }
  }

  /// An IANA media type `type/subtype` (RFC 6838 restricted names, no parameters), 3 to 127 bytes.
  static func mediaType(_ value: String, _ field: String) throws(Rejection) {
    try text(value, field, min: 3, max: 127)
    let parts = value.utf8.split(separator: 0x2f, omittingEmptySubsequences: false)
    guard parts.count == 2,
      parts.allSatisfy({ part in
        !part.isEmpty && isAlnum(part.first!)
          && part.allSatisfy { isAlnum($0) || "!#$&-^_.+".utf8.contains($0) }
      })
    else {
      throw .field(.invalidText, field, "\"\(value)\" is not a media type of the form type/subtype")
    }
  }

  /// A DICOM modality code: at most 16 bytes of [A-Z0-9_ ].
  static func modality(_ value: String, _ field: String) throws(Rejection) {
    try text(value, field, max: 16)
    guard value.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || isDigit($0) || $0 == 0x5f || $0 == 0x20 })
    else {
      throw .field(.invalidText, field, "\"\(value)\" must be uppercase letters, digits, '_' and spaces")
    }
  }

  /// A DICOM UID: at most 64 bytes of digits and dots.
  static func dicomUID(_ value: String, _ field: String) throws(Rejection) {
    try text(value, field, max: 64)
    guard value.utf8.allSatisfy({ isDigit($0) || $0 == 0x2e }) else {
      throw .field(.invalidText, field, "\"\(value)\" must be digits and dots")
    }
  }

  /// At most 32 attributes, keys 1 to 64 bytes of printable ASCII, strictly ascending, values at most
  /// 1,024 bytes.
  static func metadata(_ attributes: [Attribute], _ field: String) throws(Rejection) {
    guard attributes.count <= 32 else {
      throw .field(.invalidMetadata, field, "at most 32 attributes, got \(attributes.count)")
    }
    var previous: String?
    for (index, attribute) in attributes.enumerated() {
      let key = attribute.key.utf8
      guard (1...64).contains(key.count), key.allSatisfy({ $0 >= 0x20 && $0 <= 0x7e }) else {
        throw .field(.invalidMetadata, "\(field)[\(index)].key", "must be 1 to 64 bytes of printable ASCII")
      }
      guard attribute.value.utf8.count <= 1024 else {
        throw .field(
          .invalidMetadata, "\(field)[\(index)].value",
          "at most 1024 bytes, got \(attribute.value.utf8.count)")
      }
      if let previous, !Array(previous.utf8).lexicographicallyPrecedes(Array(key)) {
        throw .field(
          .invalidMetadata, "\(field)[\(index)].key",
          "\"\(attribute.key)\" is not after \"\(previous)\": keys must be sorted and unique")
      }
      previous = attribute.key
    }
  }

  /// A blob manifest consistent with itself (docs/ledger.md, "Blob manifests").
  static func manifest(_ manifest: BlobManifest?, _ field: String) throws(Rejection) {
    guard let manifest else { throw .field(.invalidManifest, field, "missing") }
    guard manifest.chunkSize == UInt32(ChainParameters.chunkSize) else {
      throw .field(
        .invalidManifest, "\(field).chunk_size",
        "must be \(ChainParameters.chunkSize), got \(manifest.chunkSize)")
    }
    guard manifest.totalSize >= 1, manifest.totalSize <= ChainParameters.maxBlobSize else {
      throw .field(
        .invalidManifest, "\(field).total_size", "must be 1 byte to 4 GiB, got \(manifest.totalSize)")
    }
    let expected = (manifest.totalSize + UInt64(manifest.chunkSize) - 1) / UInt64(manifest.chunkSize)
    guard UInt64(manifest.chunkHashes.count) == expected else {
      throw .field(
        .invalidManifest, "\(field).chunk_hashes",
        "\(manifest.totalSize) bytes need \(expected) chunk hashes, got \(manifest.chunkHashes.count)")
    }
    for (index, hash) in manifest.chunkHashes.enumerated() where hash.count != SHA256.byteCount {
      throw .field(
        .invalidManifest, "\(field).chunk_hashes[\(index)]", "expected 32 bytes, got \(hash.count)")
    }
    guard manifest.contentHash.count == SHA256.byteCount else {
      throw .field(
        .invalidManifest, "\(field).content_hash", "expected 32 bytes, got \(manifest.contentHash.count)")
    }
    guard manifest.merkleRoot == MerkleTree(leaves: manifest.chunkHashes).root.data else {
      throw .field(
        .invalidManifest, "\(field).merkle_root", "is not the RFC 6962 root of chunk_hashes")
    }
  }

  static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
  static func isLowerAlnum(_ byte: UInt8) -> Bool { isDigit(byte) || (byte >= 0x61 && byte <= 0x7a) }
  static func isAlnum(_ byte: UInt8) -> Bool { isLowerAlnum(byte) || (byte >= 0x41 && byte <= 0x5a) }
}
