import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Files written so that a crash leaves either the old file or the new one, whole: the bytes go to a
/// temporary file in the same directory, which is fsync-ed, renamed over the target, and the
/// directory is fsync-ed so the rename itself is durable.
enum DurableFile {
  static func write(_ data: Data, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let temporary = directory + "/.tmp-" + UUID().uuidString
    let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw error(temporary, "cannot create") }
    do {
      try data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
          let written = posixWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
          if written < 0 {
            if errno == EINTR { continue }
            throw error(temporary, "cannot write")
          }
          offset += written
        }
      }
      guard fsync(descriptor) == 0 else { throw error(temporary, "cannot fsync") }
    } catch {
      close(descriptor)
      unlink(temporary)
      throw error
    }
    close(descriptor)
    guard rename(temporary, path) == 0 else {
      let failure = error(path, "cannot rename \(temporary) to it")
      unlink(temporary)
      throw failure
    }
    try syncDirectory(directory)
  }

  /// Writes `data` to a new file at `path` and fsyncs it, without the rename: for files inside a
  /// private staging directory, which is synced and renamed into place as a whole.
  static func writeSynced(_ data: Data, to path: String) throws {
    let descriptor = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw error(path, "cannot create") }
    defer { close(descriptor) }
    try data.withUnsafeBytes { buffer in
      var offset = 0
      while offset < buffer.count {
        let written = posixWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw error(path, "cannot write")
        }
        offset += written
      }
    }
    guard fsync(descriptor) == 0 else { throw error(path, "cannot fsync") }
  }

  /// fsync of a directory, making renames and unlinks in it durable.
  static func syncDirectory(_ path: String) throws {
    let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw error(path, "cannot open directory") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw error(path, "cannot fsync directory") }
  }

  /// Creates `path` (and parents) if missing.
  static func makeDirectory(_ path: String) throws {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw BlobStoreError.io(path: path, detail: "cannot create directory: \(error.localizedDescription)")
    }
  }

  /// The file's bytes, or nil when it does not exist.
  static func read(_ path: String) throws -> Data? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw BlobStoreError.io(path: path, detail: "cannot read: \(error.localizedDescription)")
    }
  }

  /// Removes a file or directory tree if present.
  static func remove(_ path: String) throws {
    guard FileManager.default.fileExists(atPath: path) else { return }
    do { try FileManager.default.removeItem(atPath: path) } catch {
      throw BlobStoreError.io(path: path, detail: "cannot remove: \(error.localizedDescription)")
    }
  }

  private static func error(_ path: String, _ what: String) -> BlobStoreError {
    let code = errno
    let reason = String(cString: strerror(code))
    return .io(path: path, detail: "\(what): \(reason)\(code == ENOSPC ? " (the device is full)" : "")")
  }
}

/// write(2), named apart from `DurableFile.write`.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(descriptor, buffer, count)
  #else
    Darwin.write(descriptor, buffer, count)
  #endif
}
