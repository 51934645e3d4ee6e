import ChainCrypto
import Foundation
import Wire

extension DevnetLayout {
  /// Builds the network of `plan` in `plan.directory`: CA, keys and certificates, genesis, one
  /// configuration and user database per node, and `network.json`.
  public static func create(_ plan: DevnetPlan, now: Date = Date()) async throws -> DevnetLayout {
    try check(plan)
    let fileManager = FileManager.default
    let root = URL(fileURLWithPath: plan.directory).standardizedFileURL.path
    if fileManager.fileExists(atPath: (root as NSString).appendingPathComponent(fileName)) {
      throw DevnetError(
        "\(root) already holds a devnet; run it again without creating (sehc devnet --dir \(root)), "
          + "or choose another --dir, or pass --fresh to delete it first")
    }
    try CertificateAuthority.makeDirectory(root)
    func path(_ components: String...) -> String {
      components.reduce(root) { ($0 as NSString).appendingPathComponent($1) }
    }

    let authority = try CertificateAuthority.create(
      name: "SeHealthChain Devnet CA", organization: "SeHealthChain Devnet", days: 3650, now: now)
    try authority.write(toDirectory: path("ca"))
    let caFile = CertificateAuthority.paths(in: path("ca")).certificate

    let adminKey = try Ed25519.PrivateKey()
    try adminKey.write(toFile: path("admin.key"))
    let adminPassword = try SecureRandom.bytes(count: 18).base64EncodedString()
      .replacingOccurrences(of: "/", with: "x").replacingOccurrences(of: "+", with: "y")
    try writeSecret(adminPassword + "\n", to: path("admin-password"))

    var inputs: [GenesisBuilder.ValidatorInput] = []
    var nodes: [NodeEntry] = []
    var validatorKeys: [Ed25519.PrivateKey] = []
    for index in 0..<plan.nodeCount {
      let name = "node-\(index + 1)"
      let directory = path(name)
      try CertificateAuthority.makeDirectory(directory)
      let key = try Ed25519.PrivateKey()
      try key.write(toFile: path(name, "\(name).key"))
      let peerCertificate = try authority.issueNodeCertificate(
        name: name, publicKey: CertificateKey(key).publicKey, hosts: ["localhost", "127.0.0.1"], now: now)
      try peerCertificate.write(toFile: path(name, "\(name).pem"))
      let clientKey = try CertificateKey(generating: .p256)
      try clientKey.write(toFile: path(name, "\(name)-client.key"))
      let clientCertificate = try authority.issueNodeCertificate(
        name: "\(name)-client", publicKey: clientKey.publicKey, hosts: ["localhost", "127.0.0.1"], now: now)
      try clientCertificate.write(toFile: path(name, "\(name)-client.pem"))

      let peer = "127.0.0.1:\(plan.basePort + index)"
      let client = "127.0.0.1:\(plan.basePort + 100 + index)"
      let metrics = "127.0.0.1:\(plan.basePort + 200 + index)"
      inputs.append(
        GenesisBuilder.ValidatorInput(
          name: name, certificate: peerCertificate, peerEndpoint: peer, clientEndpoint: client))
      let configFile = path(name, "node.toml")
      try Data(nodeConfiguration(name: name, peer: peer, client: client, metrics: metrics).utf8)
        .write(to: URL(fileURLWithPath: configFile))
      nodes.append(
        NodeEntry(
          name: name, directory: directory, configFile: configFile, address: key.address.hex,
          peerEndpoint: peer,
          clientEndpoint: client, metricsEndpoint: metrics))
      validatorKeys.append(key)
    }

    var params = plan.params
    params.shardCount = UInt32(plan.shardCount)
    let admin = GenesisParticipant(
      publicKey: adminKey.publicKey.rawRepresentation, role: .admin, organisation: "SeHealthChain Devnet",
      displayName: "Devnet administrator", balance: 1_000_000_000)
    let genesis = try GenesisBuilder(
      chainID: plan.chainID, ca: authority.certificate, validators: inputs,
      participants: [admin] + plan.participants,
      params: params,
      genesisTimeMs: UInt64(now.timeIntervalSince1970 * 1000)
    ).build(at: now)
    try Data((genesis.genesis.jsonString(pretty: true) + "\n").utf8).write(
      to: URL(fileURLWithPath: path("genesis.json")))

    for (node, key) in zip(nodes, validatorKeys) {
      let users = try UserStore(
        directory: (node.directory as NSString).appendingPathComponent("data"), nodeKey: key)
      try await users.create(
        NewUser(
          username: "admin", password: adminPassword, role: .admin, organisation: "SeHealthChain Devnet",
          displayName: "Devnet administrator", key: .custodial(adminKey)))
    }

    let layout = DevnetLayout(
      chainID: plan.chainID, shardCount: UInt32(plan.shardCount), directory: root, caCertificate: caFile,
      genesisFile: path("genesis.json"), adminUsername: "admin", adminPasswordFile: path("admin-password"),
      nodes: nodes)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(layout).write(to: URL(fileURLWithPath: path(fileName)))
    return layout
  }

  /// Reopens the devnet in `directory`.
  public static func load(directory: String) throws -> DevnetLayout {
    let file = (URL(fileURLWithPath: directory).standardizedFileURL.path as NSString).appendingPathComponent(
      fileName)
    guard let data = FileManager.default.contents(atPath: file) else {
      throw DevnetError(
        "\(file) not found: \(directory) holds no devnet; create one with sehc devnet --dir \(directory)")
    }
    do {
      return try JSONDecoder().decode(DevnetLayout.self, from: data)
    } catch {
      throw DevnetError(
        "\(file) is damaged (\(error)); delete the directory or pass --fresh to build a new devnet")
    }
  }

  /// The administrator's password.
  public func adminPassword() throws -> String {
    guard let data = FileManager.default.contents(atPath: adminPasswordFile) else {
      throw DevnetError(
        "\(adminPasswordFile) not found; the devnet in \(directory) is incomplete, pass --fresh")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func check(_ plan: DevnetPlan) throws {
    guard (1...100).contains(plan.nodeCount) else {
      throw DevnetError("--nodes \(plan.nodeCount): a devnet has 1 to 100 nodes")
    }
    guard (1...plan.nodeCount).contains(plan.shardCount) else {
      throw DevnetError(
        "--shards \(plan.shardCount): give 1 to \(plan.nodeCount) shards (every shard needs a validator)")
    }
    guard (1024...(65_535 - 200 - plan.nodeCount)).contains(plan.basePort) else {
      throw DevnetError(
        "--base-port \(plan.basePort): give 1024 to \(65_535 - 200 - plan.nodeCount) (the nodes use BASE to BASE+\(200 + plan.nodeCount - 1))"
      )
    }
  }

  /// Node `name`'s configuration: everything in its directory, the genesis and CA one level up.
  static func nodeConfiguration(name: String, peer: String, client: String, metrics: String) -> String {
    """
    # Written by sehc devnet. docs/operator.md describes every key.
    name = "\(name)"
    data_dir = "data"
    genesis = "../genesis.json"
    validator_key = "\(name).key"

    [peer]
    listen = "\(peer)"
    certificate = "\(name).pem"
    key = "\(name).key"
    ca = "../ca/ca.pem"

    [client]
    listen = "\(client)"
    certificate = "\(name)-client.pem"
    key = "\(name)-client.key"
    ca = "../ca/ca.pem"

    [metrics]
    listen = "\(metrics)"

    [logging]
    level = "info"
    format = "text"

    """
  }

  static func writeSecret(_ text: String, to path: String) throws {
    guard
      FileManager.default.createFile(
        atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    else {
      throw DevnetError("cannot write \(path); check that the directory is writable")
    }
  }
}
