internal import COpenSSL
import Foundation

/// Memory that is wiped with `OPENSSL_cleanse` when it is released. Every secret that `ChainCrypto`
/// holds outside an OpenSSL object (symmetric keys, derived keys, shared secrets, key-file contents,
/// passwords on their way to scrypt) lives in one of these.
final class SecureBuffer: @unchecked Sendable {
  // @unchecked: the bytes are written only while the buffer is being built (before it is shared)
  // and are read-only afterwards.
  let bytes: UnsafeMutableRawBufferPointer

  init(count: Int) {
    bytes = .allocate(byteCount: max(count, 1), alignment: 16)
    bytes.initializeMemory(as: UInt8.self, repeating: 0)
    self.count = count
  }

  convenience init(copying source: UnsafeRawBufferPointer) {
    self.init(count: source.count)
    if let base = source.baseAddress, source.count > 0 {
      bytes.baseAddress!.copyMemory(from: base, byteCount: source.count)
    }
  }

  convenience init(copying data: Data) {
    self.init(count: data.count)
    data.withUnsafeBytes { source in
      if let base = source.baseAddress, source.count > 0 {
        bytes.baseAddress!.copyMemory(from: base, byteCount: source.count)
      }
    }
  }

  /// A copy of a string's UTF-8 bytes (a password, a PEM key), made without an intermediate `Data`.
  /// The caller's `String` itself cannot be wiped.
  static func copyingUTF8(of text: String) -> SecureBuffer {
    var text = text
    return text.withUTF8 { SecureBuffer(copying: UnsafeRawBufferPointer($0)) }
  }

  /// The number of meaningful bytes (the allocation is at least one byte so that the pointer is
  /// never NULL, which OpenSSL treats as "absent").
  let count: Int

  /// The meaningful bytes. Only valid while `self` is alive: use `withBytes`, or members of this
  /// class, rather than keeping the pointer of a temporary.
  private var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<count]) }
  /// The start of the bytes, for OpenSSL calls made while `self` is held.
  var pointer: UnsafeMutablePointer<UInt8> { bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) }

  /// Calls `body` with the meaningful bytes (`self` stays alive for the call).
  func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try body(buffer)
  }

  /// An ordinary (not wiped) copy of the bytes.
  var data: Data { Data(buffer) }

  /// The bytes as UTF-8 text (an ordinary, not wiped, copy).
  var string: String { String(decoding: buffer, as: UTF8.self) }

  deinit {
    OPENSSL_cleanse(bytes.baseAddress, bytes.count)
    bytes.deallocate()
  }
}

/// A secret symmetric key (AES-256-GCM keys, HKDF outputs, X25519 shared secrets).
///
/// The bytes live in memory that is wiped (`OPENSSL_cleanse`) when the last copy of the key is
/// released. `dataRepresentation` hands out an ordinary `Data` copy that is *not* wiped: use it only
/// to store or transmit the key, and prefer `withUnsafeBytes` otherwise. Equality is constant-time.
public struct SymmetricKey: Sendable, Equatable {
  let storage: SecureBuffer

  /// A key holding a copy of `data`.
  public init(data: Data) {
    storage = SecureBuffer(copying: data)
  }

  init(storage: SecureBuffer) {
    self.storage = storage
  }

  /// A new key of `byteCount` bytes from OpenSSL's CSPRNG (32 bytes, an AES-256 key, by default).
  public static func random(byteCount: Int = 32) throws -> SymmetricKey {
    guard byteCount > 0 else { throw CryptoError.invalidParameter("a key must have at least one byte") }
    let storage = SecureBuffer(count: byteCount)
    try SecureRandom.fill(storage.bytes.baseAddress!, count: byteCount)
    return SymmetricKey(storage: storage)
  }

  /// The key's length in bytes.
  public var byteCount: Int { storage.count }

  /// Calls `body` with the key's bytes; the pointer must not escape.
  public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try storage.withBytes(body)
  }

  /// A copy of the key's bytes in an ordinary `Data`, which is not wiped on release.
  public var dataRepresentation: Data { storage.data }

  public static func == (lhs: SymmetricKey, rhs: SymmetricKey) -> Bool {
    lhs.storage.withBytes { l in rhs.storage.withBytes { r in constantTimeEquals(l, r) } }
  }
}

/// Compares two byte strings in time that depends only on their lengths (`CRYPTO_memcmp`).
public func constantTimeEquals(_ lhs: Data, _ rhs: Data) -> Bool {
  lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in constantTimeEquals(l, r) } }
}

func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
  guard lhs.count == rhs.count else { return false }
  guard lhs.count > 0 else { return true }
  return CRYPTO_memcmp(lhs.baseAddress, rhs.baseAddress, lhs.count) == 0
}

/// OpenSSL's cryptographically secure random generator (`RAND_bytes`, seeded by the operating
/// system and safe to call from any thread).
public enum SecureRandom {
  /// `count` random bytes.
  public static func bytes(count: Int) throws -> Data {
    guard count >= 0 else { throw CryptoError.invalidParameter("a byte count cannot be negative") }
    var data = Data(count: count)
    guard count > 0 else { return data }
    try data.withUnsafeMutableBytes { buffer in try fill(buffer.baseAddress!, count: count) }
    return data
  }

  /// A uniformly random integer.
  public static func uint64() throws -> UInt64 {
    var value: UInt64 = 0
    try withUnsafeMutableBytes(of: &value) { buffer in
      try fill(buffer.baseAddress!, count: buffer.count)
    }
    return value
  }

  static func fill(_ pointer: UnsafeMutableRawPointer, count: Int) throws {
    var offset = 0
    while offset < count {
      let chunk = Int32(min(count - offset, Int(Int32.max)))
      OpenSSLErrors.clear()
      try check("RAND_bytes", RAND_bytes((pointer + offset).assumingMemoryBound(to: UInt8.self), chunk))
      offset += Int(chunk)
    }
  }
}

// MARK: - Hex and base64

extension Data {
  /// Lowercase hexadecimal.
  public var hexString: String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(count * 2)
    for byte in self {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes hexadecimal (either case); nil for an odd length or a non-hex character.
  public init?(hexString: String) {
    let utf8 = Array(hexString.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    var bytes = [UInt8]()
    bytes.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
      guard let high = hexValue(utf8[index]), let low = hexValue(utf8[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    self.init(bytes)
  }
}

func hexValue(_ character: UInt8) -> UInt8? {
  switch character {
  case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
  case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
  case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
  default: return nil
  }
}
