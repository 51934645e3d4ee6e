internal import COpenSSL
import Dispatch
import Foundation
import Synchronization

/// Ed25519 signatures (RFC 8032, "pure" Ed25519 with no pre-hash and no context) through OpenSSL.
///
/// Signatures in SeHealthChain are made over `domain || bytes` (see `SigningDomain`): use
/// `PrivateKey.sign(domain:message:)` and `PublicKey.isValidSignature(_:domain:message:)` for
/// anything that goes on the wire.
public enum Ed25519 {
  fileprivate static let verifications = Atomic<Int>(0)

  /// How many signatures this process has verified so far (every node of an in-process network
  /// counts into it): the node benchmark divides it by the transactions committed, for the signature
  /// checks one transaction costs.
  public static var verificationCount: Int { verifications.load(ordering: .relaxed) }

  /// The length of a raw public key.
  public static let publicKeyByteCount = 32
  /// The length of a raw private key (the RFC 8032 seed).
  public static let privateKeyByteCount = 32
  /// The length of a signature.
  public static let signatureByteCount = 64

  /// An Ed25519 private key. Its secret is wiped from memory when the key is released.
  public final class PrivateKey: Sendable {
    let key: PKey
    /// The matching public key.
    public let publicKey: PublicKey

    /// A signing context set up once for this key; each signature starts from a copy of it, which
    /// skips OpenSSL's per-call algorithm lookup (see `signature(for:)`).
    let template: DigestContext

    init(key: PKey) throws {
      guard key.isA("ED25519") else {
        throw CryptoError.unsupportedKey("expected an Ed25519 private key, found \(key.typeDescription)")
      }
      self.key = key
      self.publicKey = try PublicKey(rawRepresentation: key.rawPublicKey())
      self.template = try DigestContext(signingWith: key)
    }

    /// A new random key.
    public convenience init() throws {
      try self.init(key: PKey.generate("ED25519"))
    }

    /// A key from its 32-byte seed (RFC 8032's "secret key").
    public convenience init(rawRepresentation seed: Data) throws {
      guard seed.count == Ed25519.privateKeyByteCount else {
        throw CryptoError.invalidLength(
          what: "an Ed25519 private key", expected: Ed25519.privateKeyByteCount, actual: seed.count)
      }
      let key = try seed.withUnsafeBytes { buffer in try PKey.rawPrivate("ED25519", buffer) }
      try self.init(key: key)
    }

    /// A key from a PKCS#8 "PRIVATE KEY" PEM.
    public convenience init(pemRepresentation pem: String) throws {
      let buffer = SecureBuffer.copyingUTF8(of: pem)
      try self.init(
        key: buffer.withBytes { try PKey.parsePrivateKeyPEM($0, what: "an Ed25519 private key PEM") })
    }

    /// Loads a PEM private key file, refusing one that group or others can access (see `KeyFile`).
    public convenience init(contentsOfFile path: String) throws {
      try self.init(key: KeyFile.readPrivateKey(at: path))
    }

    /// The 32-byte seed. This is a copy of the secret in an ordinary `Data`, which is not wiped:
    /// use it only to store or export the key.
    public var rawRepresentation: Data {
      get throws { try key.rawPrivateKey().data }
    }

    /// The key as PKCS#8 "PRIVATE KEY" PEM. Like `rawRepresentation`, a copy that is not wiped; to put
    /// the key in a file use `write(toFile:overwrite:)`, which never copies it into a `String`.
    public var pemRepresentation: String {
      get throws { try key.privateKeyPEM().string }
    }

    /// Writes the key as PKCS#8 PEM to a new file created with mode 0600 (see `KeyFile`).
    public func write(toFile path: String, overwrite: Bool = false) throws {
      try KeyFile.writePrivateKey(key, to: path, overwrite: overwrite)
    }

    /// The address of this key's public key.
    public var address: Address { publicKey.address }

    /// Signs `message` as it is (no domain). Prefer `sign(domain:message:)` for protocol data.
    public func signature(for message: Data) throws -> Data {
      try message.withUnsafeBytes { buffer in try signature(for: buffer) }
    }

    func signature(for message: UnsafeRawBufferPointer) throws -> Data {
      OpenSSLErrors.clear()
      let context = try checkNotNull("creating a signing context", EVP_MD_CTX_new())
      defer { EVP_MD_CTX_free(context) }
      try check("starting an Ed25519 signature", EVP_MD_CTX_copy_ex(context, template.pointer))
      var signature = Data(count: Ed25519.signatureByteCount)
      var length = Ed25519.signatureByteCount
      let result = signature.withUnsafeMutableBytes { out in
        EVP_DigestSign(
          context, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length,
          message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer, message.count)
      }
      try check("signing with Ed25519", result)
      return signature
    }
  }

  /// An Ed25519 public key. Equal keys have equal raw bytes.
  public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: PKey
    /// The 32-byte encoded point.
    public let rawRepresentation: Data

    /// A key from its 32 raw bytes.
    public init(rawRepresentation: Data) throws {
      guard rawRepresentation.count == Ed25519.publicKeyByteCount else {
        throw CryptoError.invalidLength(
          what: "an Ed25519 public key", expected: Ed25519.publicKeyByteCount, actual: rawRepresentation.count
        )
      }
      self.key = try PKey.rawPublic("ED25519", rawRepresentation)
      self.rawRepresentation = Data(rawRepresentation)
    }

    init(key: PKey) throws {
      guard key.isA("ED25519") else {
        throw CryptoError.unsupportedKey("expected an Ed25519 public key, found \(key.typeDescription)")
      }
      self.key = key
      self.rawRepresentation = try key.rawPublicKey()
    }

    /// A key from a SubjectPublicKeyInfo "PUBLIC KEY" PEM.
    public init(pemRepresentation pem: String) throws {
      try self.init(key: PKey.parsePublicKeyPEM(pem, what: "an Ed25519 public key PEM"))
    }

    /// The key as SubjectPublicKeyInfo "PUBLIC KEY" PEM.
    public var pemRepresentation: String {
      get throws { try key.publicKeyPEM() }
    }

    /// The key's address: the first 20 bytes of SHA-256 of the raw key.
    public var address: Address { Address(publicKey: self) }

    /// The raw key in hex.
    public var description: String { rawRepresentation.hexString }

    /// True when `signature` is a valid Ed25519 signature of `message` (as it is, no domain) by this
    /// key. OpenSSL rejects non-canonical S values (S ≥ L) and encodings of the wrong length.
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
      message.withUnsafeBytes { isValidSignature(signature, for: $0) }
    }

    func isValidSignature(_ signature: Data, for message: UnsafeRawBufferPointer) -> Bool {
      guard signature.count == Ed25519.signatureByteCount else { return false }
      Ed25519.verifications.add(1, ordering: .relaxed)
      OpenSSLErrors.clear()
      guard let context = EVP_MD_CTX_new() else {
        _ = OpenSSLErrors.drain()
        return false
      }
      defer { EVP_MD_CTX_free(context) }
      guard EVP_DigestVerifyInit_ex(context, nil, nil, nil, nil, key.pointer, nil) == 1 else {
        _ = OpenSSLErrors.drain()
        return false
      }
      let result = signature.withUnsafeBytes { sig in
        EVP_DigestVerify(
          context, sig.baseAddress!.assumingMemoryBound(to: UInt8.self), sig.count,
          message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer, message.count)
      }
      if result != 1 { _ = OpenSSLErrors.drain() }
      return result == 1
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
      lhs.rawRepresentation == rhs.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
      hasher.combine(rawRepresentation)
    }
  }

  /// One signature to check in a batch. `domain` nil means the message is checked as it is.
  public struct BatchItem: Sendable {
    public var publicKey: PublicKey
    public var message: Data
    public var signature: Data
    public var domain: SigningDomain?

    public init(publicKey: PublicKey, message: Data, signature: Data, domain: SigningDomain? = nil) {
      self.publicKey = publicKey
      self.message = message
      self.signature = signature
      self.domain = domain
    }
  }

  /// Checks every item and returns one verdict per item, in order, using all cores.
  ///
  /// OpenSSL has no Ed25519 batch equation, so each signature is checked on its own (which also
  /// means a bad signature is pinpointed, and the verdicts are exactly those of single
  /// verification); the items are split into contiguous slices verified in parallel with
  /// `DispatchQueue.concurrentPerform`. `concurrency` limits the number of threads (default: the
  /// active processor count); small batches run on the calling thread.
  public static func batchVerify(_ items: [BatchItem], concurrency: Int? = nil) -> [Bool] {
    let workers = max(1, min(concurrency ?? ProcessInfo.processInfo.activeProcessorCount, items.count))
    var verdicts = [Bool](repeating: false, count: items.count)
    if workers == 1 || items.count < 8 {
      for (index, item) in items.enumerated() { verdicts[index] = item.verify() }
      return verdicts
    }
    // More slices than workers evens out slices that take longer (a busy core, longer messages).
    let slices = min(items.count, workers * 4)
    verdicts.withUnsafeMutableBufferPointer { out in
      let results = UnsafeSendableBuffer(out)
      DispatchQueue.concurrentPerform(iterations: slices) { slice in
        let start = items.count * slice / slices
        let end = items.count * (slice + 1) / slices
        for index in start..<end { results[index] = items[index].verify() }
      }
    }
    return verdicts
  }

  /// True when every item verifies (see `batchVerify(_:concurrency:)`).
  public static func batchVerifyAll(_ items: [BatchItem], concurrency: Int? = nil) -> Bool {
    batchVerify(items, concurrency: concurrency).allSatisfy { $0 }
  }
}

extension Ed25519.BatchItem {
  func verify() -> Bool {
    if let domain {
      return publicKey.isValidSignature(signature, domain: domain, message: message)
    }
    return publicKey.isValidSignature(signature, for: message)
  }
}

/// An EVP_MD_CTX owned by a Swift object. A template context is only ever read (copied from), which
/// OpenSSL allows from several threads at once: `EVP_MD_CTX_copy_ex` takes its source as const and
/// duplicates the key reference with an atomic reference count.
final class DigestContext: @unchecked Sendable {
  let pointer: OpaquePointer

  init(signingWith key: PKey) throws {
    OpenSSLErrors.clear()
    pointer = try checkNotNull("creating a signing context", EVP_MD_CTX_new())
    guard EVP_DigestSignInit_ex(pointer, nil, nil, nil, nil, key.pointer, nil) == 1 else {
      EVP_MD_CTX_free(pointer)
      throw OpenSSLErrors.error("starting an Ed25519 signature")
    }
  }

  deinit {
    EVP_MD_CTX_free(pointer)
  }
}

/// Writes from several threads into disjoint indices of one buffer.
private struct UnsafeSendableBuffer: @unchecked Sendable {
  // @unchecked: each concurrentPerform iteration writes a disjoint index range.
  let buffer: UnsafeMutableBufferPointer<Bool>
  init(_ buffer: UnsafeMutableBufferPointer<Bool>) { self.buffer = buffer }
  subscript(index: Int) -> Bool {
    get { buffer[index] }
    nonmutating set { buffer[index] = newValue }
  }
}

/// A valid pointer for zero-length inputs: OpenSSL's one-shot EdDSA rejects a NULL message pointer
/// even when the length is zero.
nonisolated(unsafe) let emptyBytePointer: UnsafePointer<UInt8> = {
  let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
  pointer.initialize(to: 0)
  return UnsafePointer(pointer)
}()
