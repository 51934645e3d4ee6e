internal import COpenSSL
import Foundation

/// Owns one OpenSSL `EVP_PKEY` and frees it on release. OpenSSL wipes private key material itself
/// when the key is freed (`ossl_ecx_key_free` and `EC_KEY_free` clear the secret with
/// `OPENSSL_secure_clear_free` / `OPENSSL_clear_free`), so an object holding a `PKey` releases its
/// secret with it.
final class PKey: @unchecked Sendable {
  // @unchecked: an EVP_PKEY is never modified after construction here, and OpenSSL allows
  // concurrent read-only use (signing, verifying, deriving each use their own context).
  let pointer: OpaquePointer

  init(taking pointer: OpaquePointer) {
    self.pointer = pointer
  }

  deinit {
    EVP_PKEY_free(pointer)
  }

  /// Generates a key of `algorithm` ("ED25519", "X25519", or "EC" with `group`).
  static func generate(_ algorithm: String, group: String? = nil) throws -> PKey {
    OpenSSLErrors.clear()
    let context = try checkNotNull(
      "creating a \(algorithm) key context", EVP_PKEY_CTX_new_from_name(nil, algorithm, nil))
    defer { EVP_PKEY_CTX_free(context) }
    try check("starting \(algorithm) key generation", EVP_PKEY_keygen_init(context))
    if let group {
      try check("choosing the curve \(group)", EVP_PKEY_CTX_set_group_name(context, group))
    }
    var key: OpaquePointer?
    try check("generating a \(algorithm) key", EVP_PKEY_generate(context, &key))
    return PKey(taking: try checkNotNull("generating a \(algorithm) key", key))
  }

  /// A key from its raw private bytes (Ed25519 seed, X25519 scalar).
  static func rawPrivate(_ algorithm: String, _ bytes: UnsafeRawBufferPointer) throws -> PKey {
    OpenSSLErrors.clear()
    let key = EVP_PKEY_new_raw_private_key_ex(
      nil, algorithm, nil, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
    return PKey(taking: try checkNotNull("importing a raw \(algorithm) private key", key))
  }

  /// A key from its raw public bytes.
  static func rawPublic(_ algorithm: String, _ bytes: Data) throws -> PKey {
    OpenSSLErrors.clear()
    let key = bytes.withUnsafeBytes { buffer in
      EVP_PKEY_new_raw_public_key_ex(
        nil, algorithm, nil, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count)
    }
    return PKey(taking: try checkNotNull("importing a raw \(algorithm) public key", key))
  }

  /// The raw public key bytes (Ed25519 and X25519).
  func rawPublicKey() throws -> Data {
    OpenSSLErrors.clear()
    var length = 0
    try check("reading the public key length", EVP_PKEY_get_raw_public_key(pointer, nil, &length))
    var data = Data(count: length)
    let result = data.withUnsafeMutableBytes { buffer in
      EVP_PKEY_get_raw_public_key(pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
    }
    try check("reading the public key", result)
    return data
  }

  /// The raw private key bytes, in wiped memory.
  func rawPrivateKey() throws -> SecureBuffer {
    OpenSSLErrors.clear()
    var length = 0
    try check("reading the private key length", EVP_PKEY_get_raw_private_key(pointer, nil, &length))
    let buffer = SecureBuffer(count: length)
    try check("reading the private key", EVP_PKEY_get_raw_private_key(pointer, buffer.pointer, &length))
    return buffer
  }

  /// True when this is a key of the named algorithm ("ED25519", "X25519", "EC").
  func isA(_ name: String) -> Bool { EVP_PKEY_is_a(pointer, name) == 1 }

  /// What kind of key this is, for certificates and key files.
  var algorithm: KeyAlgorithm? {
    if isA("ED25519") { return .ed25519 }
    if isA("EC"), let group = groupName, group == "prime256v1" || group == "P-256" { return .p256 }
    return nil
  }

  /// A description for display: "Ed25519", "ECDSA P-256", "RSA 2048", "EC secp384r1".
  var typeDescription: String {
    if let algorithm { return algorithm.displayName }
    if isA("EC") { return "EC \(groupName ?? "unknown curve")" }
    let name = EVP_PKEY_get0_type_name(pointer).map { String(cString: $0) } ?? "unknown"
    return "\(name) \(EVP_PKEY_get_bits(pointer))"
  }

  private var groupName: String? {
    var buffer = [CChar](repeating: 0, count: 64)
    var length = 0
    guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else {
      _ = OpenSSLErrors.drain()
      return nil
    }
    return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// True when both keys have the same public part.
  func hasSamePublicKey(as other: PKey) -> Bool {
    OpenSSLErrors.clear()
    let result = EVP_PKEY_eq(pointer, other.pointer)
    if result != 1 { _ = OpenSSLErrors.drain() }
    return result == 1
  }

  // MARK: PEM and DER

  /// PKCS#8 "PRIVATE KEY" PEM, in wiped memory.
  func privateKeyPEM() throws -> SecureBuffer {
    OpenSSLErrors.clear()
    let bio = try checkNotNull("creating a memory BIO", BIO_new(BIO_s_secmem()))
    defer { BIO_free(bio) }
    try check("writing the private key as PEM", PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil))
    var data: UnsafeMutablePointer<CChar>?
    let length = sehc_BIO_get_mem_data(bio, &data)
    guard let data, length > 0 else { throw OpenSSLErrors.error("reading the private key PEM") }
    return SecureBuffer(copying: UnsafeRawBufferPointer(start: data, count: length))
  }

  /// SubjectPublicKeyInfo "PUBLIC KEY" PEM.
  func publicKeyPEM() throws -> String {
    OpenSSLErrors.clear()
    let bio = try checkNotNull("creating a memory BIO", BIO_new(BIO_s_mem()))
    defer { BIO_free(bio) }
    try check("writing the public key as PEM", PEM_write_bio_PUBKEY(bio, pointer))
    return String(decoding: bioContents(bio), as: UTF8.self)
  }

  /// SubjectPublicKeyInfo DER.
  func publicKeyDER() throws -> Data {
    OpenSSLErrors.clear()
    var out: UnsafeMutablePointer<UInt8>?
    let length = i2d_PUBKEY(pointer, &out)
    guard length > 0, let out else { throw OpenSSLErrors.error("encoding the public key as DER") }
    defer { sehc_OPENSSL_free(out) }
    return Data(bytes: out, count: Int(length))
  }

  /// Parses a PKCS#8 (or traditional) private key from PEM held in `pem`. Encrypted keys are refused
  /// rather than prompting for a passphrase on the terminal.
  static func parsePrivateKeyPEM(_ pem: UnsafeRawBufferPointer, what: String) throws -> PKey {
    OpenSSLErrors.clear()
    guard pem.count > 0, pem.count < Int(Int32.max) else {
      throw CryptoError.invalidEncoding(what: what, detail: "it is empty")
    }
    let bio = try checkNotNull("creating a memory BIO", BIO_new_mem_buf(pem.baseAddress, Int32(pem.count)))
    defer { BIO_free(bio) }
    let noPassphrase:
      @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = {
        _, _, _, _ in 0
      }
    guard let key = PEM_read_bio_PrivateKey(bio, nil, noPassphrase, nil) else {
      let reason = OpenSSLErrors.drain()
      throw CryptoError.invalidEncoding(what: what, detail: "not an unencrypted PEM private key (\(reason))")
    }
    return PKey(taking: key)
  }

  /// Parses a SubjectPublicKeyInfo "PUBLIC KEY" PEM.
  static func parsePublicKeyPEM(_ pem: String, what: String) throws -> PKey {
    OpenSSLErrors.clear()
    var utf8 = Array(pem.utf8)
    let bio = try checkNotNull("creating a memory BIO", BIO_new_mem_buf(&utf8, Int32(utf8.count)))
    defer { BIO_free(bio) }
    guard let key = PEM_read_bio_PUBKEY(bio, nil, nil, nil) else {
      let reason = OpenSSLErrors.drain()
      throw CryptoError.invalidEncoding(what: what, detail: "not a PEM public key (\(reason))")
    }
    return PKey(taking: key)
  }

  /// Parses a SubjectPublicKeyInfo DER.
  static func parsePublicKeyDER(_ der: Data, what: String) throws -> PKey {
    OpenSSLErrors.clear()
    let key: OpaquePointer? = der.withUnsafeBytes { buffer in
      var cursor = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
      return d2i_PUBKEY(nil, &cursor, buffer.count)
    }
    guard let key else {
      let reason = OpenSSLErrors.drain()
      throw CryptoError.invalidEncoding(what: what, detail: "not a DER SubjectPublicKeyInfo (\(reason))")
    }
    return PKey(taking: key)
  }
}

/// The contents of a memory BIO.
func bioContents(_ bio: OpaquePointer) -> Data {
  var data: UnsafeMutablePointer<CChar>?
  let length = sehc_BIO_get_mem_data(bio, &data)
  guard let data, length > 0 else { return Data() }
  return Data(bytes: data, count: length)
}

/// The kinds of asymmetric keys that `ChainCrypto` certifies and stores.
public enum KeyAlgorithm: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// Ed25519 (RFC 8032): validator and user keys, the consortium CA.
  case ed25519
  /// ECDSA over NIST P-256 (prime256v1), for client certificates of TLS stacks without Ed25519
  /// (grpcio and other BoringSSL-based clients do not offer Ed25519 in TLS handshakes).
  case p256

  /// A name for display: "Ed25519" or "ECDSA P-256".
  public var displayName: String {
    switch self {
    case .ed25519: return "Ed25519"
    case .p256: return "ECDSA P-256"
    }
  }

  public var description: String { rawValue }
}

/// The text in a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
