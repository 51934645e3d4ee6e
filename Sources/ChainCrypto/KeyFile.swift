internal import COpenSSL
import Foundation

#if canImport(Glibc)
  import Glibc
  private let systemWrite = Glibc.write
#elseif canImport(Darwin)
  import Darwin
  private let systemWrite = Darwin.write
#endif

/// Private keys on disk: PKCS#8 PEM files that only their owner can read.
///
/// - Writing creates the file with mode 0600 in the `open(2)` call itself (`O_CREAT | O_EXCL`), so
///   the key is never readable by others, not even for an instant; nothing is chmod-ed afterwards.
///   Overwriting (when asked) writes a new 0600 file beside the old one and renames it over it, so a
///   crash leaves either the old key or the new one. The file is fsync-ed before it counts as written.
/// - Reading refuses a file that group or others can access in any way (mode & 0o077 ≠ 0), with an
///   error that gives the fix (`chmod 600 FILE`), as ssh does; it refuses anything but a regular file.
/// - The file's bytes are read into memory that is wiped after parsing.
public enum KeyFile {
  /// The mode of every key file written.
  public static let mode: UInt32 = 0o600
  /// Key files larger than this are not keys.
  static let maximumSize = 64 * 1024

  /// Reads and checks the permissions of a private key file, returning its contents in wiped memory.
  static func readSecret(at path: String) throws -> SecureBuffer {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw systemError(path, "open") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw systemError(path, "stat") }
    guard info.st_mode & S_IFMT == S_IFREG else {
      throw CryptoError.fileSystem(path: path, operation: "read", reason: "not a regular file")
    }
    guard info.st_mode & 0o077 == 0 else {
      throw CryptoError.insecureKeyFile(path: path, mode: UInt32(info.st_mode))
    }
    guard info.st_size <= maximumSize else {
      throw CryptoError.invalidEncoding(
        what: "key file \(path)", detail: "it is larger than \(maximumSize) bytes")
    }
    let buffer = SecureBuffer(count: Int(info.st_size))
    var offset = 0
    while offset < buffer.count {
      let n = read(fd, buffer.pointer + offset, buffer.count - offset)
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw systemError(path, "read") }
      if n == 0 { break }
      offset += n
    }
    guard offset == buffer.count else {
      throw CryptoError.fileSystem(
        path: path, operation: "read", reason: "the file changed while it was read")
    }
    return buffer
  }

  /// Reads a public file (a certificate), up to 1 MiB.
  static func readPublic(at path: String) throws -> Data {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw systemError(path, "open") }
    defer { close(fd) }
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = read(fd, &chunk, chunk.count)
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw systemError(path, "read") }
      if n == 0 { break }
      data.append(contentsOf: chunk[0..<n])
      guard data.count <= 1 << 20 else {
        throw CryptoError.invalidEncoding(what: "certificate file \(path)", detail: "it is larger than 1 MiB")
      }
    }
    return data
  }

  /// Reads a PEM private key of any type OpenSSL knows.
  static func readPrivateKey(at path: String) throws -> PKey {
    let contents = try readSecret(at: path)
    return try contents.withBytes { try PKey.parsePrivateKeyPEM($0, what: "key file \(path)") }
  }

  /// Writes `key` as PKCS#8 PEM to `path` with mode 0600.
  static func writePrivateKey(_ key: PKey, to path: String, overwrite: Bool) throws {
    let pem = try key.privateKeyPEM()
    try pem.withBytes { try writeSecret($0, to: path, overwrite: overwrite) }
  }

  /// Writes `bytes` to a new file created with mode 0600.
  static func writeSecret(_ bytes: UnsafeRawBufferPointer, to path: String, overwrite: Bool) throws {
    try write(bytes, to: path, mode: mode_t(mode), overwrite: overwrite)
  }

  /// Writes a public file (a certificate) with mode 0644.
  static func writePublic(_ data: Data, to path: String, overwrite: Bool) throws {
    try data.withUnsafeBytes { try write($0, to: path, mode: 0o644, overwrite: overwrite) }
  }

  /// Creates `path` with `mode` (exclusively), or, when `overwrite`, writes a new file beside it and
  /// renames it over the old one.
  private static func write(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t, overwrite: Bool)
    throws
  {
    if !overwrite {
      try writeNewFile(bytes, to: path, mode: mode)
      return
    }
    let directory = (path as NSString).deletingLastPathComponent
    let name = (path as NSString).lastPathComponent
    let suffix = String(try SecureRandom.uint64(), radix: 16)
    let temporary = (directory.isEmpty ? "" : directory + "/") + ".\(name).\(suffix).tmp"
    try writeNewFile(bytes, to: temporary, mode: mode)
    guard rename(temporary, path) == 0 else {
      let error = systemError(path, "replace")
      unlink(temporary)
      throw error
    }
  }

  private static func writeNewFile(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
    guard fd >= 0 else {
      if errno == EEXIST { throw CryptoError.fileExists(path: path) }
      throw systemError(path, "create")
    }
    var failure: CryptoError?
    var offset = 0
    while offset < bytes.count {
      let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        failure = systemError(path, "write")
        break
      }
      offset += n
    }
    if failure == nil && fsync(fd) != 0 { failure = systemError(path, "sync") }
    if close(fd) != 0 && failure == nil { failure = systemError(path, "close") }
    if let failure {
      unlink(path)
      throw failure
    }
  }

  static func systemError(_ path: String, _ operation: String) -> CryptoError {
    .fileSystem(path: path, operation: operation, reason: String(cString: strerror(errno)))
  }
}

/// A private key that can be certified: Ed25519 (validators, users, the CA) or ECDSA P-256 (TLS
/// clients and servers whose stack lacks Ed25519). Its secret is wiped from memory when released.
public final class CertificateKey: Sendable {
  let key: PKey

  init(key: PKey) throws {
    guard key.algorithm != nil else {
      throw CryptoError.unsupportedKey(
        "expected an Ed25519 or ECDSA P-256 private key, found \(key.typeDescription)")
    }
    self.key = key
  }

  /// A new random key.
  public convenience init(generating algorithm: KeyAlgorithm) throws {
    switch algorithm {
    case .ed25519: try self.init(key: PKey.generate("ED25519"))
    case .p256: try self.init(key: PKey.generate("EC", group: "P-256"))
    }
  }

  /// Wraps an Ed25519 key.
  public convenience init(_ key: Ed25519.PrivateKey) {
    try! self.init(key: key.key)
  }

  /// A key from a PEM private key (PKCS#8, or SEC1 "EC PRIVATE KEY").
  public convenience init(pemRepresentation pem: String) throws {
    let buffer = SecureBuffer.copyingUTF8(of: pem)
    try self.init(key: buffer.withBytes { try PKey.parsePrivateKeyPEM($0, what: "a PEM private key") })
  }

  /// Loads a PEM key file, refusing one that group or others can access.
  public convenience init(contentsOfFile path: String) throws {
    try self.init(key: KeyFile.readPrivateKey(at: path))
  }

  /// Ed25519 or P-256.
  public var algorithm: KeyAlgorithm { key.algorithm! }

  /// The Ed25519 key, if this is one.
  public var ed25519: Ed25519.PrivateKey? {
    try? Ed25519.PrivateKey(key: key)
  }

  /// The public half, as it goes into a certificate.
  public var publicKey: SubjectPublicKey {
    try! SubjectPublicKey(key: key)
  }

  /// The key as PKCS#8 PEM: a copy that is not wiped (see `Ed25519.PrivateKey.pemRepresentation`).
  public var pemRepresentation: String {
    get throws { try key.privateKeyPEM().string }
  }

  /// Writes the key as PKCS#8 PEM to a new file created with mode 0600.
  public func write(toFile path: String, overwrite: Bool = false) throws {
    try KeyFile.writePrivateKey(key, to: path, overwrite: overwrite)
  }
}

/// A public key as carried in a certificate (X.509 SubjectPublicKeyInfo): Ed25519 or P-256.
public struct SubjectPublicKey: Sendable, Hashable {
  let key: PKey
  /// The DER SubjectPublicKeyInfo.
  public let derRepresentation: Data

  init(key: PKey) throws {
    self.key = key
    self.derRepresentation = try key.publicKeyDER()
  }

  /// A key from a DER SubjectPublicKeyInfo.
  public init(derRepresentation: Data) throws {
    try self.init(key: PKey.parsePublicKeyDER(derRepresentation, what: "a public key"))
  }

  /// A key from a "PUBLIC KEY" PEM.
  public init(pemRepresentation pem: String) throws {
    try self.init(key: PKey.parsePublicKeyPEM(pem, what: "a public key PEM"))
  }

  /// Loads a "PUBLIC KEY" PEM file (as `sehc keygen --public-out` writes it).
  public init(contentsOfFile path: String) throws {
    let data = try KeyFile.readPublic(at: path)
    guard let pem = String(data: data, encoding: .utf8) else {
      throw CryptoError.invalidEncoding(what: "public key file \(path)", detail: "it is not PEM text")
    }
    try self.init(key: PKey.parsePublicKeyPEM(pem, what: "public key file \(path)"))
  }

  /// Writes the key as "PUBLIC KEY" PEM to a file with mode 0644.
  public func write(toFile path: String, overwrite: Bool = false) throws {
    try KeyFile.writePublic(Data(pemRepresentation.utf8), to: path, overwrite: overwrite)
  }

  /// The Ed25519 public key as a `SubjectPublicKey`.
  public init(_ key: Ed25519.PublicKey) {
    try! self.init(key: key.key)
  }

  /// Ed25519, P-256, or nil for other key types (which `ChainCrypto` reads but never issues).
  public var algorithm: KeyAlgorithm? { key.algorithm }

  /// "Ed25519", "ECDSA P-256", or OpenSSL's name and size for other keys.
  public var typeDescription: String { key.typeDescription }

  /// The Ed25519 key, if this is one.
  public var ed25519: Ed25519.PublicKey? { try? Ed25519.PublicKey(key: key) }

  /// The key as "PUBLIC KEY" PEM.
  public var pemRepresentation: String {
    get throws { try key.publicKeyPEM() }
  }

  public static func == (lhs: SubjectPublicKey, rhs: SubjectPublicKey) -> Bool {
    lhs.derRepresentation == rhs.derRepresentation
  }

  public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }
}
