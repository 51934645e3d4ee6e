/// The rules for user names and passwords (healthchain.proto: CreateUserRequest).
public enum Credentials {
  /// Shortest password, in bytes.
  public static let minimumPasswordBytes = 8
  /// Longest password, in bytes (scrypt would take more, but nobody types more).
  public static let maximumPasswordBytes = 1024

  /// Why `username` is not a user name (3 to 64 bytes of `[a-z0-9._-]`), or nil when it is one.
  public static func usernameProblem(_ username: String) -> String? {
    guard (3...64).contains(username.utf8.count) else {
      return
        "user name \"\(username)\" is \(username.utf8.count) bytes; it must be 3 to 64 bytes of a-z, 0-9, '.', '_' and '-'"
    }
    let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-".unicodeScalars)
    if let bad = username.unicodeScalars.first(where: { !allowed.contains($0) }) {
      return "user name \"\(username)\" contains \"\(bad)\"; use a-z, 0-9, '.', '_' and '-' only"
    }
    return nil
  }

  /// Why `password` is not acceptable (8 to 1024 bytes, no NUL), or nil when it is.
  public static func passwordProblem(_ password: String) -> String? {
    let count = password.utf8.count
    guard count >= minimumPasswordBytes else {
      return "the password is \(count) bytes; it must be at least \(minimumPasswordBytes)"
    }
    guard count <= maximumPasswordBytes else {
      return "the password is \(count) bytes; it must be at most \(maximumPasswordBytes)"
    }
    guard !password.utf8.contains(0) else { return "the password contains NUL" }
    return nil
  }
}
