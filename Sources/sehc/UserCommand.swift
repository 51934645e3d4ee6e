import ArgumentParser
import ChainCrypto
import Foundation
import Node
import Wire

/// `sehc user`: the login users a node keeps in its data directory, managed by its operator.
///
/// The client API creates users too (CreateUser, for administrators); this command is how the first
/// administrator of a new node gets an account.
struct UserCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "user",
    abstract: "Add and list the login users of a node (its data directory's users.sqlite).",
    subcommands: [UserAdd.self, UserList.self]
  )
}

/// The node whose users a `sehc user` command manages.
struct UserStoreOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The node's configuration file.", valueName: "file"))
  var config: String

  /// The node's user store, opened with its validator key (which seals custodial keys).
  func open() throws -> (store: UserStore, path: String, shardCount: UInt32) {
    let config: NodeConfig
    do {
      config = try NodeConfig.load(path: self.config)
    } catch {
      throw CommandFailure.badData("\(error)")
    }
    let nodeKey: Ed25519.PrivateKey
    do {
      nodeKey = try Ed25519.PrivateKey(contentsOfFile: config.validatorKeyFile)
    } catch {
      throw CommandFailure.badData("validator_key: \(error)")
    }
    let shardCount: UInt32
    do {
      shardCount = try ValidatedGenesis.load(path: config.genesisFile).shardCount
    } catch {
      throw CommandFailure.badData("genesis: \(error)")
    }
    do {
      let store = try UserStore(directory: config.dataDirectory, nodeKey: nodeKey)
      return (
        store, (config.dataDirectory as NSString).appendingPathComponent(UserStore.fileName), shardCount
      )
    } catch {
      throw CommandFailure.io("\(config.dataDirectory): cannot open the users database: \(error)")
    }
  }
}

/// `sehc user add`.
struct UserAdd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Add a login user to a node.",
    discussion: """
      With --key the node holds the user's signing key (custodial: the node signs the high-level \
      calls for the user); give the genesis participant's key file for the network's first \
      administrator. With --public-key the user signs its own transactions. With neither the node \
      makes a new custodial key. The user's address must also be a participant of the chain (in the \
      genesis, or registered by a RegisterParticipant transaction) before its transactions are \
      accepted. The node may be running: SQLite serialises the two writers.
      """)

  @OptionGroup var node: UserStoreOptions

  @Option(help: "The login name: 3 to 64 of a-z, 0-9, '.', '_', '-'.")
  var username: String

  @Option(help: ArgumentHelp("patient, clinician, hospital, lab, auditor or admin.", valueName: "role"))
  var role: String

  @Option(help: "The user's organisation (1 to 128 bytes).")
  var organisation: String

  @Option(help: "A display name (at most 128 bytes).")
  var displayName = ""

  @Option(
    help: ArgumentHelp(
      "A file whose first line is the password (8 to 1024 bytes); - for stdin.", valueName: "file"))
  var passwordFile: String

  @Option(
    help: ArgumentHelp("The user's Ed25519 private key, held by the node (custodial).", valueName: "file"))
  var key: String?

  @Option(
    help: ArgumentHelp("The user's Ed25519 public key (PEM); the user signs for itself.", valueName: "file"))
  var publicKey: String?

  func run() async throws {
    try await reportingFailures("sehc user add") {
      guard let role = Role(name: role) else {
        throw CommandFailure.usage(
          "--role \(role): the roles are \(Role.assignable.map(\.name).joined(separator: ", "))")
      }
      if key != nil && publicKey != nil {
        throw CommandFailure.usage("give --key FILE (custodial) or --public-key FILE (external), not both")
      }
      let password = firstLine(of: try readInput(passwordFile))
      let userKey: NewUser.Key
      do {
        if let key {
          userKey = .custodial(try Ed25519.PrivateKey(contentsOfFile: key))
        } else if let publicKey {
          guard let ed25519 = try SubjectPublicKey(contentsOfFile: publicKey).ed25519 else {
            throw CommandFailure.badData(
              "\(publicKey): not an Ed25519 public key (make one with sehc keygen)")
          }
          userKey = .external(ed25519)
        } else {
          userKey = .generate
        }
      } catch let error as CryptoError {
        throw CommandFailure.badData("\(error)")
      }
      let (store, path, shardCount) = try node.open()
      let user: StoredUser
      do throws(UserStoreError) {
        user = try await store.create(
          NewUser(
            username: username, password: password, role: role, organisation: organisation,
            displayName: displayName, key: userKey))
      } catch {
        switch error {
        case .storage: throw CommandFailure.io("\(path): \(error)")
        default: throw CommandFailure.badData("\(error)")
        }
      }
      let shard = user.wire(shardCount: shardCount).shard
      print(
        "added \(user.username) (\(user.role.name), address \(user.address.hex), shard \(shard), "
          + "\(user.custodial ? "custodial" : "signs for itself")) to \(path)")
    }
  }
}

/// `sehc user list`.
struct UserList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List a node's login users.")

  @OptionGroup var node: UserStoreOptions

  func run() async throws {
    try await reportingFailures("sehc user list") {
      let (store, path, shardCount) = try node.open()
      let users: [StoredUser]
      do throws(UserStoreError) {
        users = try store.allUsers()
      } catch {
        throw CommandFailure.io("\(path): \(error)")
      }
      for user in users {
        let shard = user.wire(shardCount: shardCount).shard
        print(
          [
            user.username, user.role.name, user.address.hex, "shard \(shard)",
            user.custodial ? "custodial" : "external", user.organisation,
          ].joined(separator: "\t"))
      }
    }
  }
}
