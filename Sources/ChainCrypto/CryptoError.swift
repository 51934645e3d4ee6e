internal import COpenSSL

/// Everything that can go wrong in `ChainCrypto`.
///
/// Failures inside OpenSSL carry OpenSSL's own reason strings (from `ERR_get_error` and
/// `ERR_error_string_n`), so a message such as "error:1E08010C:DECODER routines::unsupported" reaches
/// the operator instead of a bare "failed". `description` is one line, fit for a command line's stderr.
public enum CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An OpenSSL call failed. `operation` names what was being done; `reason` is OpenSSL's error
  /// queue, joined with "; " (empty when OpenSSL queued nothing).
  case openSSL(operation: String, reason: String)
  /// A byte string has the wrong length (a key, a nonce, a signature, a tag, a digest).
  case invalidLength(what: String, expected: Int, actual: Int)
  /// Bytes or text that do not decode: hex, base64, PEM, DER, a password-hash string.
  case invalidEncoding(what: String, detail: String)
  /// A parameter out of its allowed range, or a combination that makes no sense.
  case invalidParameter(String)
  /// AES-GCM authentication failed: the ciphertext, the associated data, the nonce or the tag was
  /// modified, or the key is wrong. Nothing about which one is revealed.
  case authenticationFailed
  /// A key of a type this operation does not accept (for example a P-256 key where Ed25519 is needed).
  case unsupportedKey(String)
  /// A private-key file that group or others may access. The fix is `chmod 600 <path>`.
  case insecureKeyFile(path: String, mode: UInt32)
  /// A file that should not be overwritten already exists.
  case fileExists(path: String)
  /// A file-system call failed; `reason` is the system's message (`strerror`).
  case fileSystem(path: String, operation: String, reason: String)
  /// Certificate checks failed; see `CertificateError`.
  case certificate(CertificateError)

  public var description: String {
    switch self {
    case .openSSL(let operation, let reason):
      return reason.isEmpty ? "\(operation) failed in OpenSSL" : "\(operation) failed: \(reason)"
    case .invalidLength(let what, let expected, let actual):
      return "\(what) must be \(expected) bytes, got \(actual)"
    case .invalidEncoding(let what, let detail):
      return "\(what) is not valid: \(detail)"
    case .invalidParameter(let detail):
      return detail
    case .authenticationFailed:
      return
        "authentication failed: the ciphertext, associated data, nonce or tag was modified, or the key is wrong"
    case .unsupportedKey(let detail):
      return "unsupported key: \(detail)"
    case .insecureKeyFile(let path, let mode):
      return "key file \(path) is accessible by group or others (mode \(String(mode & 0o777, radix: 8))); "
        + "fix it with: chmod 600 \(path)"
    case .fileExists(let path):
      return "\(path) already exists; choose another path or pass --force to overwrite it"
    case .fileSystem(let path, let operation, let reason):
      return "cannot \(operation) \(path): \(reason)"
    case .certificate(let error):
      return error.description
    }
  }
}

// MARK: - The OpenSSL error queue

/// Helpers that keep OpenSSL's per-thread error queue clean: it is cleared before a call whose result
/// is inspected and drained after every failure, so a stale entry never leaks into a later, unrelated
/// error message (OpenSSL's own advice, and what the TLS layer relies on when it reads
/// `SSL_get_error`).
enum OpenSSLErrors {
  /// Empties the calling thread's error queue. (Peeking first is much cheaper than clearing an
  /// already empty queue, which walks all of its slots: this runs before every OpenSSL call whose
  /// result is inspected, including the per-message calls of AES-GCM.)
  @inline(__always)
  static func clear() {
    if ERR_peek_error() != 0 { ERR_clear_error() }
  }

  /// Removes every entry from the calling thread's queue and returns their reason strings joined with
  /// "; ", oldest first.
  static func drain() -> String {
    var reasons: [String] = []
    var buffer = [CChar](repeating: 0, count: 256)
    while true {
      let code = ERR_get_error()
      if code == 0 { break }
      ERR_error_string_n(code, &buffer, buffer.count)
      let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
      if !reasons.contains(reason) { reasons.append(reason) }
    }
    return reasons.joined(separator: "; ")
  }

  /// Drains the queue into a `CryptoError.openSSL`.
  static func error(_ operation: String) -> CryptoError {
    .openSSL(operation: operation, reason: drain())
  }

  /// True when the calling thread's queue holds nothing (used by the tests).
  static var isEmpty: Bool { ERR_peek_error() == 0 }
}

/// Runs an OpenSSL call that returns 1 on success, with a clean queue before and a drained queue
/// after a failure.
@inline(__always)
func check(_ operation: @autoclosure () -> String, _ result: Int32) throws {
  guard result == 1 else { throw OpenSSLErrors.error(operation()) }
}

/// Unwraps a pointer returned by OpenSSL, turning NULL into an error carrying the queue's reasons.
@inline(__always)
func checkNotNull<T>(_ operation: @autoclosure () -> String, _ pointer: T?) throws -> T {
  guard let pointer else { throw OpenSSLErrors.error(operation()) }
  return pointer
}

/// True when the calling thread's OpenSSL error queue is empty: the tests (`@testable import`) check
/// that no failure leaves an entry behind.
func openSSLErrorQueueIsEmpty() -> Bool { OpenSSLErrors.isEmpty }
