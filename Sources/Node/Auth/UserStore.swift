import ChainCrypto
import Foundation
import GRDB
import Wire

/// The node's users: SQLite through GRDB (WAL, synchronous FULL) in the data directory, in a file
/// of mode 0600.
///
/// Each user has a login name, an scrypt password hash (``PasswordHash``), a role, an organisation,
/// a display name, an Ed25519 public key (its address is the user's participant address) and,
/// for custodial users, the private key sealed by AES-256-GCM under a key derived from the node's
/// validator key (``CustodialKeyCipher``). Passwords are checked on a small worker pool, and an
/// unknown user name costs one scrypt verification like a known one, so both answers take about
/// the same time and give the same error.
public final class UserStore: Sendable {
  /// The database file's name in the data directory.
  public static let fileName = "users.sqlite"

  private let database: DatabasePool
  private let cipher: CustodialKeyCipher
  private let passwordParameters: PasswordHash.Parameters
  /// A hash of a random password with the current parameters, verified for unknown users.
  private let decoyHash: String
  private let pool: BlockingWorkPool

  /// Opens (creating if needed) `users.sqlite` in `directory`.
  public convenience init(
    directory: String, nodeKey: Ed25519.PrivateKey, passwordParameters: PasswordHash.Parameters = .default
  ) throws {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    try self.init(
      path: (directory as NSString).appendingPathComponent(Self.fileName), nodeKey: nodeKey,
      passwordParameters: passwordParameters)
  }

  /// Opens (creating if needed) the database at `path`. New passwords are hashed with
  /// `passwordParameters`; stored hashes with other parameters are replaced at the next login.
  public init(
    path: String, nodeKey: Ed25519.PrivateKey, passwordParameters: PasswordHash.Parameters = .default
  )
    throws
  {
    if !FileManager.default.fileExists(atPath: path) {
      // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the same mode.
      guard
        FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
      else {
        throw UserStoreError.storage("cannot create \(path)")
      }
    }
    var configuration = Configuration()
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    database = try DatabasePool(path: path, configuration: configuration)
    try Self.migrator.migrate(database)
    cipher = try CustodialKeyCipher(nodeKey: nodeKey)
    self.passwordParameters = passwordParameters
    decoyHash = try PasswordHash.hash(
      password: SecureRandom.bytes(count: 16).base64EncodedString(), parameters: passwordParameters)
    pool = BlockingWorkPool(name: "sehc.password", width: 2, queueLimit: 64)
  }

  private static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1 users") { db in
      try db.execute(
        sql: """
          CREATE TABLE users (
            username TEXT PRIMARY KEY NOT NULL,
            password_hash TEXT NOT NULL,
            role INTEGER NOT NULL,
            public_key BLOB NOT NULL UNIQUE,
            organisation TEXT NOT NULL,
            display_name TEXT NOT NULL,
            sealed_key BLOB,
            created_at_ms INTEGER NOT NULL
          ) STRICT
          """)
    }
    return migrator
  }

  // MARK: Creating

  /// Creates a user. Throws ``UserStoreError/invalidInput(_:)`` for a field that breaks its rule,
  /// ``UserStoreError/userExists(_:)`` or ``UserStoreError/keyInUse(username:)``.
  @discardableResult
  public func create(_ new: NewUser) async throws(UserStoreError) -> StoredUser {
    try Self.check(new)
    let publicKey: Ed25519.PublicKey
    var sealed: Data?
    do {
      switch new.key {
      case .generate:
        let key = try Ed25519.PrivateKey()
        publicKey = key.publicKey
        sealed = try cipher.seal(key, username: new.username)
      case .custodial(let key):
        publicKey = key.publicKey
        sealed = try cipher.seal(key, username: new.username)
      case .external(let key):
        publicKey = key
      }
    } catch {
      throw .storage("cannot prepare the user's key: \(error)")
    }
    let parameters = passwordParameters
    let password = new.password
    let hash: String = try await runPasswordWork {
      try PasswordHash.hash(password: password, parameters: parameters)
    }
    let user = StoredUser(
      username: new.username, role: new.role, publicKey: publicKey, organisation: new.organisation,
      displayName: new.displayName, custodial: sealed != nil,
      createdAtMs: UInt64(Date().timeIntervalSince1970 * 1000))
    let sealedKey = sealed
    try write { db in
      if try Row.fetchOne(db, sql: "SELECT 1 FROM users WHERE username = ?", arguments: [user.username])
        != nil
      {
        throw UserStoreError.userExists(user.username)
      }
      if let owner = try String.fetchOne(
        db, sql: "SELECT username FROM users WHERE public_key = ?", arguments: [publicKey.rawRepresentation])
      {
        throw UserStoreError.keyInUse(username: owner)
      }
      try db.execute(
        sql: """
          INSERT INTO users (username, password_hash, role, public_key, organisation, display_name, sealed_key,
                             created_at_ms)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          user.username, hash, Int64(user.role.rawValue), publicKey.rawRepresentation, user.organisation,
          user.displayName, sealedKey, Int64(user.createdAtMs),
        ])
    }
    return user
  }

  private static func check(_ new: NewUser) throws(UserStoreError) {
    if let problem = Credentials.usernameProblem(new.username) { throw .invalidInput(problem) }
    if let problem = Credentials.passwordProblem(new.password) { throw .invalidInput(problem) }
    guard new.role.isAssignable else {
      throw .invalidInput(
        "role \(new.role.name) is not a user role; use one of \(Role.assignable.map(\.name))")
    }
    guard (1...128).contains(new.organisation.utf8.count) else {
      throw .invalidInput("the organisation is \(new.organisation.utf8.count) bytes; it must be 1 to 128")
    }
    guard new.displayName.utf8.count <= 128 else {
      throw .invalidInput("the display name is \(new.displayName.utf8.count) bytes; it must be at most 128")
    }
    guard !new.organisation.utf8.contains(0), !new.displayName.utf8.contains(0) else {
      throw .invalidInput("the organisation and display name must not contain NUL")
    }
  }

  // MARK: Logging in

  /// The user, if `password` is theirs. An unknown user and a wrong password both throw
  /// ``UserStoreError/invalidCredentials`` after one scrypt verification. A hash made with other
  /// parameters than the store's is replaced.
  public func authenticate(username: String, password: String) async throws(UserStoreError) -> StoredUser {
    let found: (user: StoredUser, hash: String)? =
      Credentials.usernameProblem(username) == nil ? try read { db in try Self.fetch(db, username) } : nil
    let hash = found?.hash ?? decoyHash
    let matches: Bool = try await runPasswordWork {
      (try? PasswordHash.verify(password: password, against: hash)) ?? false
    }
    guard matches, let found else { throw .invalidCredentials }
    if PasswordHash.needsRehash(found.hash, parameters: passwordParameters) {
      try? await setPassword(username: username, password: password)
    }
    return found.user
  }

  /// Replaces the password of `username` after checking the current one. Throws
  /// ``UserStoreError/invalidCredentials`` when `currentPassword` is wrong.
  public func changePassword(username: String, currentPassword: String, newPassword: String)
    async throws(UserStoreError)
  {
    if let problem = Credentials.passwordProblem(newPassword) { throw .invalidInput(problem) }
    _ = try await authenticate(username: username, password: currentPassword)
    try await setPassword(username: username, password: newPassword)
  }

  private func setPassword(username: String, password: String) async throws(UserStoreError) {
    let parameters = passwordParameters
    let hash: String = try await runPasswordWork {
      try PasswordHash.hash(password: password, parameters: parameters)
    }
    try write { db in
      try db.execute(
        sql: "UPDATE users SET password_hash = ? WHERE username = ?", arguments: [hash, username])
      guard db.changesCount == 1 else { throw UserStoreError.unknownUser(username) }
    }
  }

  /// Deletes `username`, for a user whose creation must be undone (its registration could not be
  /// submitted). Deleting a user who does not exist does nothing.
  public func remove(username: String) throws(UserStoreError) {
    try write { db in try db.execute(sql: "DELETE FROM users WHERE username = ?", arguments: [username]) }
  }

  // MARK: Reading

  /// The user called `username`, or nil.
  public func user(named username: String) throws(UserStoreError) -> StoredUser? {
    try read { db in try Self.fetch(db, username)?.user }
  }

  /// Every user, by name.
  public func allUsers() throws(UserStoreError) -> [StoredUser] {
    try read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY username").map { try Self.user(from: $0) }
    }
  }

  /// The stored password hash of `username` (tests).
  func storedPasswordHash(_ username: String) throws(UserStoreError) -> String? {
    try read { db in try Self.fetch(db, username)?.hash }
  }

  /// The custodial signing key of `username`, decrypted with the node's validator key.
  public func signingKey(for username: String) throws(UserStoreError) -> Ed25519.PrivateKey {
    let sealed: Data? = try read { db in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT sealed_key FROM users WHERE username = ?", arguments: [username])
      else { throw UserStoreError.unknownUser(username) }
      return row["sealed_key"]
    }
    guard let sealed else { throw .notCustodial(username) }
    do {
      return try cipher.open(sealed, username: username)
    } catch {
      throw .keyDecryptionFailed(username)
    }
  }

  private static func fetch(_ db: Database, _ username: String) throws -> (user: StoredUser, hash: String)? {
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username])
    else {
      return nil
    }
    return (try user(from: row), row["password_hash"])
  }

  private static func user(from row: Row) throws -> StoredUser {
    let keyBytes: Data = row["public_key"]
    let sealed: Data? = row["sealed_key"]
    let role: Int64 = row["role"]
    let created: Int64 = row["created_at_ms"]
    return StoredUser(
      username: row["username"], role: Role(rawValue: Int32(truncatingIfNeeded: role)),
      publicKey: try Ed25519.PublicKey(rawRepresentation: keyBytes), organisation: row["organisation"],
      displayName: row["display_name"], custodial: sealed != nil, createdAtMs: UInt64(max(created, 0)))
  }

  // MARK: Plumbing

  private func runPasswordWork<T: Sendable>(_ work: @escaping @Sendable () throws -> T)
    async throws(UserStoreError)
    -> T
  {
    do {
      return try await pool.run(work)
    } catch let error as UserStoreError {
      throw error
    } catch {
      throw .storage("password hashing failed: \(error)")
    }
  }

  private func read<T>(_ body: (Database) throws -> T) throws(UserStoreError) -> T {
    do {
      return try database.read(body)
    } catch let error as UserStoreError {
      throw error
    } catch {
      throw .storage("\(error)")
    }
  }

  private func write(_ body: (Database) throws -> Void) throws(UserStoreError) {
    do {
      try database.write(body)
    } catch let error as UserStoreError {
      throw error
    } catch {
      throw .storage("\(error)")
    }
  }
}
