internal import COpenSSL
import Foundation

/// HKDF with SHA-256 (RFC 5869) through OpenSSL's EVP_KDF "HKDF".
public enum HKDF {
  /// Extract-then-expand: `outputByteCount` bytes (1 to 255 × 32) from `inputKeyMaterial`, `salt`
  /// (empty means the RFC's default, 32 zero bytes) and `info`.
  public static func deriveKey(
    inputKeyMaterial: SymmetricKey, salt: Data = Data(), info: Data = Data(), outputByteCount: Int
  ) throws -> SymmetricKey {
    guard (1...(255 * SHA256.byteCount)).contains(outputByteCount) else {
      throw CryptoError.invalidParameter(
        "HKDF-SHA256 can derive 1 to \(255 * SHA256.byteCount) bytes, not \(outputByteCount)")
    }
    let out = SecureBuffer(count: outputByteCount)
    try inputKeyMaterial.withUnsafeBytes { ikm in
      try salt.withUnsafeBytes { saltBytes in
        try info.withUnsafeBytes { infoBytes in
          let params = ParameterList()
          params.addUTF8("digest", "SHA256")
          params.addOctets("key", ikm)
          if saltBytes.count > 0 { params.addOctets("salt", saltBytes) }
          if infoBytes.count > 0 { params.addOctets("info", infoBytes) }
          try runKDF(Algorithms.hkdf, name: "HKDF-SHA256", params: params, out: out)
        }
      }
    }
    return SymmetricKey(storage: out)
  }

  /// `deriveKey` with the input key material given as bytes.
  public static func deriveKey(
    inputKeyMaterial: Data, salt: Data = Data(), info: Data = Data(), outputByteCount: Int
  ) throws -> SymmetricKey {
    try deriveKey(
      inputKeyMaterial: SymmetricKey(data: inputKeyMaterial), salt: salt, info: info,
      outputByteCount: outputByteCount)
  }
}

/// Runs one EVP_KDF derivation into `out`.
func runKDF(_ kdf: OpaquePointer, name: String, params: ParameterList, out: SecureBuffer) throws {
  OpenSSLErrors.clear()
  let context = try checkNotNull("creating a \(name) context", EVP_KDF_CTX_new(kdf))
  defer { EVP_KDF_CTX_free(context) }
  try params.withParameters { list in
    try check("deriving with \(name)", EVP_KDF_derive(context, out.pointer, out.count, list))
  }
}

/// An OSSL_PARAM list whose names and number values stay allocated until the list is released.
/// (An OSSL_PARAM only points at its name and value: Swift's temporary C strings and `&value`
/// pointers would dangle once the constructing call returns.) Octet strings point at the caller's
/// buffer, which must outlive the derivation.
final class ParameterList {
  private var allocations: [UnsafeMutableRawPointer] = []
  private var params: [OSSL_PARAM] = []

  private func keep(_ text: String) -> UnsafeMutablePointer<CChar> {
    let copy = strdup(text)!
    allocations.append(UnsafeMutableRawPointer(copy))
    return copy
  }

  func addUTF8(_ name: String, _ value: String) {
    params.append(OSSL_PARAM_construct_utf8_string(keep(name), keep(value), 0))
  }

  /// An octet string; OpenSSL wants a non-NULL pointer even for zero bytes.
  func addOctets(_ name: String, _ bytes: UnsafeRawBufferPointer) {
    let pointer =
      bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(keep(""))
    params.append(OSSL_PARAM_construct_octet_string(keep(name), pointer, bytes.count))
  }

  func addUInt64(_ name: String, _ value: UInt64) {
    let storage = malloc(MemoryLayout<UInt64>.size)!
    storage.storeBytes(of: value, as: UInt64.self)
    allocations.append(storage)
    params.append(OSSL_PARAM_construct_uint64(keep(name), storage.assumingMemoryBound(to: UInt64.self)))
  }

  func addUInt32(_ name: String, _ value: UInt32) {
    let storage = malloc(MemoryLayout<UInt32>.size)!
    storage.storeBytes(of: value, as: UInt32.self)
    allocations.append(storage)
    params.append(OSSL_PARAM_construct_uint32(keep(name), storage.assumingMemoryBound(to: UInt32.self)))
  }

  /// Calls `body` with the list, terminated by OSSL_PARAM_END.
  func withParameters<R>(_ body: (UnsafeMutablePointer<OSSL_PARAM>) throws -> R) rethrows -> R {
    var list = params
    list.append(OSSL_PARAM_construct_end())
    return try list.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
  }

  deinit {
    for allocation in allocations { free(allocation) }
  }
}

/// scrypt (RFC 7914) through OpenSSL's EVP_KDF "SCRYPT".
public enum Scrypt {
  /// The largest memory one derivation may use (128 · N · r bytes plus 128 · r · p): 1 GiB.
  public static let maximumMemory: UInt64 = 1 << 30

  /// Derives `outputByteCount` bytes. N must be a power of two greater than 1.
  public static func deriveKey(
    password: Data, salt: Data, n: UInt64, r: UInt32, p: UInt32, outputByteCount: Int
  ) throws -> Data {
    let password = SecureBuffer(copying: password)
    let out = try deriveKey(
      password: password, salt: salt, n: n, r: r, p: p, outputByteCount: outputByteCount)
    return out.data
  }

  static func deriveKey(
    password: SecureBuffer, salt: Data, n: UInt64, r: UInt32, p: UInt32, outputByteCount: Int
  ) throws -> SecureBuffer {
    guard n > 1, n & (n - 1) == 0 else {
      throw CryptoError.invalidParameter("scrypt N must be a power of two greater than 1, not \(n)")
    }
    guard r > 0, p > 0 else { throw CryptoError.invalidParameter("scrypt r and p must be positive") }
    guard outputByteCount > 0 else {
      throw CryptoError.invalidParameter("scrypt must derive at least one byte")
    }
    let memory = 128 * n.multipliedReportingOverflow(by: UInt64(r)).partialValue + 128 * UInt64(r) * UInt64(p)
    guard n <= UInt64(1) << 40, memory <= maximumMemory else {
      throw CryptoError.invalidParameter(
        "scrypt N=\(n), r=\(r), p=\(p) needs more than \(maximumMemory >> 20) MiB of memory")
    }
    let out = SecureBuffer(count: outputByteCount)
    try password.withBytes { passwordBytes in
      try salt.withUnsafeBytes { saltBytes in
        let params = ParameterList()
        params.addOctets("pass", passwordBytes)
        params.addOctets("salt", saltBytes)
        params.addUInt64("n", n)
        params.addUInt32("r", r)
        params.addUInt32("p", p)
        params.addUInt64("maxmem_bytes", maximumMemory + (1 << 20))
        try runKDF(Algorithms.scrypt, name: "scrypt", params: params, out: out)
      }
    }
    return out
  }
}

/// Password hashes for the client API's users: scrypt, stored as one self-describing string
///
///     $scrypt$ln=15,r=8,p=1$<salt>$<hash>
///
/// where N = 2^ln, salt is 16 random bytes and hash is 32 bytes, both in standard base64 without
/// padding (the PHC string format's encoding). Verification reads the parameters from the string, so
/// they can be raised later: `needsRehash` says when a stored hash is weaker than the current policy.
public enum PasswordHash {
  /// scrypt cost parameters.
  public struct Parameters: Sendable, Hashable, CustomStringConvertible {
    /// log2(N).
    public var logN: Int
    public var r: Int
    public var p: Int

    public init(logN: Int, r: Int, p: Int) {
      self.logN = logN
      self.r = r
      self.p = p
    }

    /// N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s per hash (RFC 7914's interactive-login
    /// recommendation, and OWASP's minimum for scrypt is 2^17 / 8 / 1 at 128 MiB — raise it where
    /// the servers have memory to spare).
    public static let `default` = Parameters(logN: 15, r: 8, p: 1)

    /// Cheap parameters for tests only.
    public static let testing = Parameters(logN: 4, r: 1, p: 1)

    public var description: String { "ln=\(logN),r=\(r),p=\(p)" }

    func validate() throws {
      guard (1...30).contains(logN), (1...64).contains(r), (1...64).contains(p) else {
        throw CryptoError.invalidParameter(
          "scrypt parameters \(self) are out of range (ln 1-30, r 1-64, p 1-64)")
      }
    }
  }

  static let saltByteCount = 16
  static let hashByteCount = 32
  static let prefix = "$scrypt$"

  /// Hashes `password` (its UTF-8 bytes) with a fresh random salt.
  public static func hash(password: String, parameters: Parameters = .default) throws -> String {
    try parameters.validate()
    let salt = try SecureRandom.bytes(count: saltByteCount)
    let digest = try derive(password: password, salt: salt, parameters: parameters, byteCount: hashByteCount)
    return "\(prefix)\(parameters)$\(base64NoPadding(salt))$\(base64NoPadding(digest.data))"
  }

  /// True when `password` matches `encoded` (compared in constant time). Throws when `encoded` is not
  /// a well-formed scrypt hash string or asks for parameters beyond `Scrypt.maximumMemory`.
  public static func verify(password: String, against encoded: String) throws -> Bool {
    let parsed = try parse(encoded)
    let digest = try derive(
      password: password, salt: parsed.salt, parameters: parsed.parameters, byteCount: parsed.hash.count)
    return parsed.hash.withUnsafeBytes { stored in digest.withBytes { constantTimeEquals($0, stored) } }
  }

  /// True when `encoded` was made with parameters other than `parameters` (so it should be replaced
  /// at the user's next successful login).
  public static func needsRehash(_ encoded: String, parameters: Parameters = .default) -> Bool {
    guard let parsed = try? parse(encoded) else { return true }
    return parsed.parameters != parameters || parsed.hash.count != hashByteCount
  }

  /// The parts of a hash string.
  public static func parse(_ encoded: String) throws -> (parameters: Parameters, salt: Data, hash: Data) {
    let what = "a scrypt password hash"
    guard encoded.hasPrefix(prefix) else {
      throw CryptoError.invalidEncoding(what: what, detail: "it must start with \(prefix)")
    }
    let fields = encoded.dropFirst(prefix.count).split(separator: "$", omittingEmptySubsequences: false)
    guard fields.count == 3 else {
      throw CryptoError.invalidEncoding(what: what, detail: "expected $scrypt$ln=..,r=..,p=..$<salt>$<hash>")
    }
    var values: [String: Int] = [:]
    for item in fields[0].split(separator: ",") {
      let pair = item.split(separator: "=", maxSplits: 1)
      guard pair.count == 2, let value = Int(pair[1]), values[String(pair[0])] == nil else {
        throw CryptoError.invalidEncoding(what: what, detail: "bad parameter \"\(item)\"")
      }
      values[String(pair[0])] = value
    }
    guard values.count == 3, let logN = values["ln"], let r = values["r"], let p = values["p"] else {
      throw CryptoError.invalidEncoding(what: what, detail: "parameters must be ln, r and p")
    }
    let parameters = Parameters(logN: logN, r: r, p: p)
    try parameters.validate()
    guard let salt = decodeBase64NoPadding(fields[1]), salt.count >= 8 else {
      throw CryptoError.invalidEncoding(what: what, detail: "the salt is not base64 of at least 8 bytes")
    }
    guard let hash = decodeBase64NoPadding(fields[2]), hash.count >= 16, hash.count <= 64 else {
      throw CryptoError.invalidEncoding(what: what, detail: "the hash is not base64 of 16 to 64 bytes")
    }
    return (parameters, salt, hash)
  }

  private static func derive(password: String, salt: Data, parameters: Parameters, byteCount: Int) throws
    -> SecureBuffer
  {
    let passwordBytes = SecureBuffer.copyingUTF8(of: password)
    return try Scrypt.deriveKey(
      password: passwordBytes, salt: salt, n: UInt64(1) << UInt64(parameters.logN), r: UInt32(parameters.r),
      p: UInt32(parameters.p), outputByteCount: byteCount)
  }

  static func base64NoPadding(_ data: Data) -> String {
    var text = data.base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return text
  }

  static func decodeBase64NoPadding(_ text: Substring) -> Data? {
    guard !text.contains("=") else { return nil }
    var padded = String(text)
    while padded.count % 4 != 0 { padded += "=" }
    return Data(base64Encoded: padded)
  }
}
