import Foundation

/// Why a blob store operation failed. Messages name the blob, chunk, session or file concerned.
public enum BlobStoreError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The master key given does not open this store (its check file, or a blob's wrapped key).
  case wrongMasterKey(path: String)
  /// No upload session with this id (never opened, finished, or discarded after expiry).
  case unknownSession(String)
  /// The session expired.
  case sessionExpired(String, expiredAtMs: UInt64)
  /// A piece does not start where the session stands.
  case offsetMismatch(session: String, expected: UInt64, got: UInt64)
  /// A piece or a blob beyond the limits.
  case tooLarge(String)
  /// Finishing a session that has not received every byte.
  case incomplete(session: String, received: UInt64, total: UInt64)
  /// The uploaded content does not hash to the announced content hash.
  case contentHashMismatch(session: String)
  /// A manifest that is not self-consistent or does not match the data.
  case invalidManifest(String)
  /// The blob is not stored here.
  case unknownBlob(String)
  /// A chunk of a stored blob is missing.
  case missingChunk(blob: String, index: Int)
  /// A chunk failed authentication or its hash check: the file was modified or damaged.
  case corruptChunk(blob: String, index: Int, detail: String)
  /// The blob was erased (crypto-shredded) here; replicas of it are refused.
  case erased(String)
  /// A file system operation failed.
  case io(path: String, detail: String)

  public var description: String {
    switch self {
    case .wrongMasterKey(let path):
      "the master key does not open the blob store at \(path) (wrong key file?)"
    case .unknownSession(let id): "no upload session \(id)"
    case .sessionExpired(let id, let at): "upload session \(id) expired at \(at)"
    case .offsetMismatch(let id, let expected, let got):
      "upload session \(id) stands at byte \(expected); a piece at \(got) cannot be taken (resume from \(expected))"
    case .tooLarge(let detail): detail
    case .incomplete(let id, let received, let total):
      "upload session \(id) has \(received) of \(total) bytes; it cannot be finished yet"
    case .contentHashMismatch(let id):
      "the content of upload session \(id) does not hash to the announced content hash"
    case .invalidManifest(let detail): "invalid blob manifest: \(detail)"
    case .unknownBlob(let id): "blob \(id) is not stored here"
    case .missingChunk(let blob, let index): "chunk \(index) of blob \(blob) is missing"
    case .corruptChunk(let blob, let index, let detail):
      "chunk \(index) of blob \(blob) is corrupt: \(detail)"
    case .erased(let id): "blob \(id) was erased here"
    case .io(let path, let detail): "\(path): \(detail)"
    }
  }
}
