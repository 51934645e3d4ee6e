internal import COpenSSL
import Foundation

/// OpenSSL algorithm objects fetched once: OpenSSL 3 looks an algorithm up by name in its provider
/// store on every implicit use (`EVP_sha256()` inside `EVP_DigestInit`), which costs a lock and a hash
/// lookup per call. Fetched objects are immutable and safe to share between threads.
enum Algorithms {
  nonisolated(unsafe) static let sha256: OpaquePointer = EVP_MD_fetch(nil, "SHA256", nil)!
  nonisolated(unsafe) static let aes256GCM: OpaquePointer = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)!
  nonisolated(unsafe) static let hkdf: OpaquePointer = EVP_KDF_fetch(nil, "HKDF", nil)!
  nonisolated(unsafe) static let scrypt: OpaquePointer = EVP_KDF_fetch(nil, "SCRYPT", nil)!
}

/// A SHA-256 digest: 32 bytes, shown as lowercase hex.
public struct SHA256Digest: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
  /// The 32 digest bytes.
  public let data: Data

  /// A digest from its 32 bytes.
  public init(data: Data) throws {
    guard data.count == SHA256.byteCount else {
      throw CryptoError.invalidLength(
        what: "a SHA-256 digest", expected: SHA256.byteCount, actual: data.count)
    }
    self.data = data
  }

  init(unchecked data: Data) { self.data = data }

  /// A digest from 64 hex digits.
  public init(hex: String) throws {
    guard let data = Data(hexString: hex) else {
      throw CryptoError.invalidEncoding(what: "a SHA-256 digest", detail: "expected 64 hex digits")
    }
    try self.init(data: data)
  }

  /// Lowercase hex.
  public var hex: String { data.hexString }
  public var description: String { hex }

  /// Byte-wise (lexicographic) order.
  public static func < (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
    lhs.data.lexicographicallyPrecedes(rhs.data)
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    try self.init(hex: container.decode(String.self))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(hex)
  }
}

/// SHA-256 (FIPS 180-4) through OpenSSL.
public enum SHA256 {
  /// The digest length.
  public static let byteCount = 32

  /// The digest of `data`.
  public static func hash(_ data: Data) -> SHA256Digest {
    data.withUnsafeBytes { hash($0) }
  }

  /// The digest of the concatenation of `parts`, without building the concatenation.
  public static func hash(_ parts: [Data]) -> SHA256Digest {
    var hasher = SHA256Hasher()
    for part in parts { hasher.update(part) }
    return hasher.finalize()
  }

  /// The digest of the bytes in `buffer`.
  public static func hash(_ buffer: UnsafeRawBufferPointer) -> SHA256Digest {
    var out = Data(count: byteCount)
    out.withUnsafeMutableBytes { digest in
      hashInto(buffer, digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    return SHA256Digest(unchecked: out)
  }

  /// One-shot hash into a 32-byte buffer. `EVP_Digest` with the pre-fetched algorithm cannot fail
  /// short of memory exhaustion, which is treated like any other allocation failure in Swift.
  static func hashInto(_ buffer: UnsafeRawBufferPointer, _ out: UnsafeMutablePointer<UInt8>) {
    var length: UInt32 = 0
    let base = buffer.baseAddress ?? UnsafeRawPointer(out)
    guard EVP_Digest(base, buffer.count, out, &length, Algorithms.sha256, nil) == 1 else {
      fatalError("EVP_Digest(SHA-256) failed: \(OpenSSLErrors.drain())")
    }
  }
}

/// Streaming SHA-256: feed any number of byte strings with `update`, then `finalize` once.
///
/// Non-copyable, so that one hashing state is never shared by two owners; it can be sent to another
/// task or thread.
public struct SHA256Hasher: ~Copyable, @unchecked Sendable {
  // @unchecked: the context is owned uniquely (non-copyable), and only `mutating` or consuming
  // members touch it.
  private let context: OpaquePointer

  /// A fresh hashing state.
  public init() {
    guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex2(context, Algorithms.sha256, nil) == 1 else {
      fatalError("EVP_DigestInit_ex2(SHA-256) failed: \(OpenSSLErrors.drain())")
    }
    self.context = context
  }

  /// Adds `data` to the hashed bytes.
  public mutating func update(_ data: Data) {
    data.withUnsafeBytes { update($0) }
  }

  /// Adds the bytes in `buffer` to the hashed bytes.
  public mutating func update(_ buffer: UnsafeRawBufferPointer) {
    guard buffer.count > 0 else { return }
    guard EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1 else {
      fatalError("EVP_DigestUpdate(SHA-256) failed: \(OpenSSLErrors.drain())")
    }
  }

  /// The digest of everything added. Ends the hasher.
  public consuming func finalize() -> SHA256Digest {
    var out = Data(count: SHA256.byteCount)
    out.withUnsafeMutableBytes { digest in
      var length: UInt32 = 0
      guard EVP_DigestFinal_ex(context, digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &length) == 1
      else {
        fatalError("EVP_DigestFinal_ex(SHA-256) failed: \(OpenSSLErrors.drain())")
      }
    }
    return SHA256Digest(unchecked: out)
  }

  deinit {
    EVP_MD_CTX_free(context)
  }
}
