import ChainCrypto
import Foundation
import Ledger
import Testing
import Wire

@testable import Node

/// Files and a configuration for running validator `index` of `cluster` as a `sehc node start` process.
private func writeNodeFiles(_ cluster: RuntimeCluster, index: Int) throws -> String {
  let validator = cluster.validators[index]
  let directory = cluster.directory + "/process-\(validator.name)"
  try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  try validator.key.write(toFile: directory + "/\(validator.name).key")
  try validator.certificate.write(toFile: directory + "/\(validator.name).pem")
  try Fixtures.ca.certificate.write(toFile: directory + "/ca.pem")
  let clientKey = try CertificateKey(generating: .p256)
  try clientKey.write(toFile: directory + "/\(validator.name)-client.key")
  try Fixtures.ca.issueNodeCertificate(
    name: "\(validator.name)-client", publicKey: clientKey.publicKey, hosts: ["127.0.0.1"]
  ).write(toFile: directory + "/\(validator.name)-client.pem")
  try (cluster.genesis.genesis.jsonString(pretty: true) + "\n").write(
    toFile: directory + "/genesis.json", atomically: true, encoding: .utf8)
  let endpoint = cluster.genesis.validators[index].peerEndpoint
  let client = cluster.genesis.validators[index].clientEndpoint
  let config = """
    name = "\(validator.name)"

    [peer]
    listen = "\(endpoint.host):\(endpoint.port)"

    [client]
    listen = "\(client.host):\(client.port)"

    [metrics]
    enabled = false

    [logging]
    level = "warning"
    """
  try config.write(toFile: directory + "/node.toml", atomically: true, encoding: .utf8)
  return directory
}

/// The `sehc` executable next to the test binary (or in $SEHC_BIN_DIR).
private func sehcPath() throws -> String {
  var directories: [String] = []
  if let dir = ProcessInfo.processInfo.environment["SEHC_BIN_DIR"] { directories.append(dir) }
  directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
  directories.append(URL(fileURLWithPath: Bundle.main.bundlePath).deletingLastPathComponent().path)
  for dir in directories where FileManager.default.isExecutableFile(atPath: dir + "/sehc") {
    return dir + "/sehc"
  }
  throw NodeRuntimeError.configuration("sehc not found in \(directories); build it with `swift build`")
}

private func launch(_ executable: String, directory: String) throws -> Process {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = ["node", "start", "--config", directory + "/node.toml"]
  process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
  let log = directory + "/node.log"
  _ = FileManager.default.createFile(atPath: log, contents: nil)
  process.standardError = FileHandle(forWritingAtPath: log)
  try process.run()
  return process
}

/// Whether the ledger in `directory` (of a node process) holds every transaction of `ids`.
private func processStores(_ ids: [Data], directory: String) -> Bool {
  guard
    let store = try? LedgerStore(path: directory + "/data/ledger.sqlite", options: .init(verifyState: false))
  else { return false }
  return ids.allSatisfy { (try? store.transactionStatus(id: $0)) != nil }
}

private func waitUntilProcessStores(_ ids: [Data], directory: String, timeout: Duration) async -> Bool {
  await eventually(timeout: timeout) { processStores(ids, directory: directory) }
}

@Suite("NodeRuntime: a `sehc node start` process killed with SIGKILL", .serialized)
struct RuntimeCrashTests {
  @Test("a validator process killed with SIGKILL restarts from its disk, keeps its blocks and catches up")
  func sigkillThenRestart() async throws {
    let executable = try sehcPath()
    // One shard of four: three in-process members keep committing while the process is down.
    let cluster = try RuntimeCluster(shards: 1)
    let processIndex = 3
    let directory = try writeNodeFiles(cluster, index: processIndex)
    for index in 0..<processIndex { try await cluster.start(index) }
    var process = try launch(executable, directory: directory)
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    let sender = cluster.accounts[0]
    let recipient = cluster.accounts[1].publicKey.address
    var before: [Data] = []
    for nonce in UInt64(1)...3 {
      let transaction = try cluster.transfer(from: sender, to: recipient, amount: 1, nonce: nonce)
      before.append(SHA256.hash(transaction.body).data)
      try await cluster.runtime(0).submit(transaction)
    }
    let first = before
    let stored = await waitUntilProcessStores(first, directory: directory, timeout: .seconds(30))
    #expect(stored, "the process commits the first transfers: \(directory)/node.log")

    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal)

    var after: [Data] = []
    for nonce in UInt64(4)...6 {
      let transaction = try cluster.transfer(from: sender, to: recipient, amount: 1, nonce: nonce)
      after.append(SHA256.hash(transaction.body).data)
      try await cluster.runtime(0).submit(transaction)
    }
    let second = after
    process = try launch(executable, directory: directory)
    let caughtUp = await waitUntilProcessStores(first + second, directory: directory, timeout: .seconds(30))
    #expect(caughtUp, "the restarted process holds the blocks from before the kill and those it missed")

    process.interrupt()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "SIGINT stops the node cleanly")
    await cluster.stopAll()
  }
}
