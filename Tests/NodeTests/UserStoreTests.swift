import ChainCrypto
import Foundation
import Ledger
import Testing
import Wire

@testable import Node

@Suite("UserStore: users, passwords, custodial keys")
struct UserStoreTests {
  let directory = Fixtures.temporaryDirectory()
  let nodeKey = try! Ed25519.PrivateKey()

  func store(nodeKey: Ed25519.PrivateKey? = nil) throws -> UserStore {
    try UserStore(directory: directory, nodeKey: nodeKey ?? self.nodeKey, passwordParameters: .testing)
  }

  func alice(_ key: NewUser.Key = .generate) -> NewUser {
    NewUser(
      username: "alice", password: "correct horse", role: .clinician, organisation: "General Hospital",
      displayName: "Dr. Alice", key: key)
  }

  @Test("create then authenticate; the database is WAL in the data directory")
  func createAndAuthenticate() async throws {
    let users = try store()
    let created = try await users.create(alice())
    #expect(created.username == "alice" && created.role == .clinician && created.custodial)
    let back = try await users.authenticate(username: "alice", password: "correct horse")
    #expect(back == created)
    #expect(try users.user(named: "alice") == created)
    #expect(try users.user(named: "bob") == nil)
    #expect(try users.allUsers() == [created])
    #expect(FileManager.default.fileExists(atPath: directory + "/users.sqlite-wal"))
    let wire = created.wire(shardCount: 4)
    #expect(wire.username == "alice" && wire.address == created.address.rawRepresentation && wire.custodial)
    #expect(wire.shard == Ledger.shard(of: created.address, shardCount: 4))
  }

  @Test("wrong password and unknown user give the same error")
  func wrongCredentials() async throws {
    let users = try store()
    try await users.create(alice())
    let wrong = await caught(UserStoreError.self) {
      _ = try await users.authenticate(username: "alice", password: "wrong horse")
    }
    let unknown = await caught(UserStoreError.self) {
      _ = try await users.authenticate(username: "mallory", password: "correct horse")
    }
    let malformed = await caught(UserStoreError.self) {
      _ = try await users.authenticate(username: "NO!", password: "x")
    }
    #expect(
      wrong == .invalidCredentials && unknown == .invalidCredentials && malformed == .invalidCredentials)
    #expect(wrong?.description == "wrong user name or password")
  }

  @Test("unknown users cost a password verification like known ones")
  func similarTime() async throws {
    let users = try UserStore(
      directory: directory, nodeKey: nodeKey,
      passwordParameters: PasswordHash.Parameters(logN: 13, r: 8, p: 1))
    try await users.create(alice())
    func time(_ name: String) async -> Duration {
      await ContinuousClock().measure {
        _ = try? await users.authenticate(username: name, password: "not it at all")
      }
    }
    var known: [Duration] = []
    var unknown: [Duration] = []
    for _ in 0..<5 {
      known.append(await time("alice"))
      unknown.append(await time("nobody"))
    }
    let knownMedian = known.sorted()[2]
    let unknownMedian = unknown.sorted()[2]
    let ratio = unknownMedian / knownMedian
    #expect(ratio > 0.33 && ratio < 3.0, "known \(knownMedian), unknown \(unknownMedian)")
  }

  @Test("change password")
  func changePassword() async throws {
    let users = try store()
    try await users.create(alice())
    let wrong = await caught(UserStoreError.self) {
      try await users.changePassword(
        username: "alice", currentPassword: "nope nope", newPassword: "battery staple")
    }
    #expect(wrong == .invalidCredentials)
    let short = await caught(UserStoreError.self) {
      try await users.changePassword(
        username: "alice", currentPassword: "correct horse", newPassword: "short")
    }
    #expect(short == .invalidInput("the password is 5 bytes; it must be at least 8"))
    try await users.changePassword(
      username: "alice", currentPassword: "correct horse", newPassword: "battery staple")
    _ = try await users.authenticate(username: "alice", password: "battery staple")
    let old = await caught(UserStoreError.self) {
      _ = try await users.authenticate(username: "alice", password: "correct horse")
    }
    #expect(old == .invalidCredentials)
  }

  @Test("custodial keys: round trip, the user name binds, another node key cannot decrypt")
  func custodialKeys() async throws {
    let users = try store()
    let key = try Ed25519.PrivateKey()
    let created = try await users.create(alice(.custodial(key)))
    #expect(created.publicKey == key.publicKey)
    let loaded = try users.signingKey(for: "alice")
    #expect(try loaded.rawRepresentation == key.rawRepresentation)

    let generated = try await users.create(
      NewUser(username: "bob.lab", password: "12345678", role: .lab, organisation: "Lab"))
    #expect(try users.signingKey(for: "bob.lab").publicKey == generated.publicKey)

    let otherNode = try store(nodeKey: try Ed25519.PrivateKey())
    #expect(
      caught(UserStoreError.self) { _ = try otherNode.signingKey(for: "alice") }
        == .keyDecryptionFailed("alice"))

    let cipher = try CustodialKeyCipher(nodeKey: nodeKey)
    let sealed = try cipher.seal(key, username: "alice")
    #expect(
      caught(CryptoError.self) { _ = try cipher.open(sealed, username: "mallory") } == .authenticationFailed)
    #expect(try cipher.open(sealed, username: "alice").rawRepresentation == (try key.rawRepresentation))
    #expect(caught(UserStoreError.self) { _ = try users.signingKey(for: "carol") } == .unknownUser("carol"))
  }

  @Test("external keys are not custodial")
  func externalKey() async throws {
    let users = try store()
    let key = try Ed25519.PrivateKey()
    let created = try await users.create(alice(.external(key.publicKey)))
    #expect(!created.custodial && created.address == key.address)
    #expect(caught(UserStoreError.self) { _ = try users.signingKey(for: "alice") } == .notCustodial("alice"))
  }

  @Test("duplicates and bad fields are refused with the rule")
  func refusals() async throws {
    let users = try store()
    let key = try Ed25519.PrivateKey()
    try await users.create(alice(.custodial(key)))
    let again = await caught(UserStoreError.self) { try await users.create(alice()) }
    #expect(again == .userExists("alice"))
    var other = alice(.external(key.publicKey))
    other.username = "alice2"
    let sameKey = await caught(UserStoreError.self) { try await users.create(other) }
    #expect(sameKey == .keyInUse(username: "alice"))
    let cases: [(NewUser, String)] = [
      (
        NewUser(username: "al", password: "12345678", role: .patient, organisation: "X"),
        "user name \"al\" is 2 bytes"
      ),
      (
        NewUser(username: "Alice", password: "12345678", role: .patient, organisation: "X"),
        "user name \"Alice\" contains \"A\""
      ),
      (
        NewUser(username: "carol", password: "1234567", role: .patient, organisation: "X"),
        "the password is 7 bytes"
      ),
      (
        NewUser(username: "carol", password: "12345678", role: .unspecified, organisation: "X"),
        "role unspecified is not a user role"
      ),
      (
        NewUser(username: "carol", password: "12345678", role: .patient, organisation: ""),
        "the organisation is 0 bytes"
      ),
      (
        NewUser(
          username: "carol", password: "12345678", role: .patient, organisation: "X",
          displayName: String(repeating: "d", count: 129)),
        "the display name is 129 bytes"
      ),
    ]
    for (new, expected) in cases {
      let error = await caught(UserStoreError.self) { try await users.create(new) }
      #expect(error?.description.hasPrefix(expected) == true, "\(error?.description ?? "no error")")
    }
  }

  @Test("users survive reopening the store")
  func persistence() async throws {
    let key = try Ed25519.PrivateKey()
    do {
      let users = try store()
      try await users.create(alice(.custodial(key)))
    }
    let reopened = try store()
    _ = try await reopened.authenticate(username: "alice", password: "correct horse")
    #expect(try reopened.signingKey(for: "alice").rawRepresentation == (try key.rawRepresentation))
  }

  @Test("a hash made with other parameters is replaced at login")
  func rehash() async throws {
    do {
      let users = try UserStore(
        directory: directory, nodeKey: nodeKey,
        passwordParameters: PasswordHash.Parameters(logN: 5, r: 1, p: 1))
      try await users.create(alice())
    }
    let users = try store()
    #expect(try users.storedPasswordHash("alice")?.hasPrefix("$scrypt$ln=5,r=1,p=1$") == true)
    _ = try await users.authenticate(username: "alice", password: "correct horse")
    #expect(try users.storedPasswordHash("alice")?.hasPrefix("$scrypt$ln=4,r=1,p=1$") == true)
    _ = try await users.authenticate(username: "alice", password: "correct horse")
  }
}
