import Foundation

/// Resolution of the paths named in a configuration file.
enum ConfigPath {
  /// `path` if absolute, else `path` under `directory`; `.` and `..` components are removed.
  static func resolve(_ path: String, against directory: String) -> String {
    let joined = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    return (joined as NSString).standardizingPath
  }

  /// The absolute, standardized form of `path` (relative to the current directory).
  static func absolute(_ path: String) -> String {
    resolve(path, against: FileManager.default.currentDirectoryPath)
  }
}
