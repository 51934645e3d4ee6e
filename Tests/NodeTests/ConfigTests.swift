import Foundation
import Logging
import Testing

@testable import Node

@Suite("NodeConfig: TOML, defaults, paths and errors")
struct ConfigTests {
  func parse(_ text: String, directory: String = "/etc/sehc") throws(ConfigError) -> NodeConfig {
    try NodeConfig.parse(text, file: "node.toml", directory: directory)
  }

  func problem(_ text: String) -> String? {
    caught(ConfigError.self) { _ = try parse(text) }?.description
  }

  @Test("a minimal file takes every default, with paths under the file's directory")
  func defaults() throws {
    let config = try parse(#"name = "node-1""#)
    #expect(config.name == "node-1")
    #expect(config.dataDirectory == "/etc/sehc/data")
    #expect(config.genesisFile == "/etc/sehc/genesis.json")
    #expect(config.validatorKeyFile == "/etc/sehc/node-1.key")
    #expect(config.peer.listen == Endpoint(host: "0.0.0.0", port: 7100))
    #expect(config.peer.certificate == "/etc/sehc/node-1.pem")
    #expect(config.peer.key == "/etc/sehc/node-1.key")
    #expect(config.peer.ca == "/etc/sehc/ca.pem")
    #expect(config.client.listen == Endpoint(host: "0.0.0.0", port: 7200))
    #expect(config.client.certificate == "/etc/sehc/node-1-client.pem")
    #expect(config.client.key == "/etc/sehc/node-1-client.key")
    #expect(config.client.ca == "/etc/sehc/ca.pem")
    #expect(config.metrics == MetricsConfig())
    #expect(config.metrics.listen == Endpoint(host: "127.0.0.1", port: 7300))
    #expect(config.logging.level == .info && config.logging.format == .text)
    #expect(config.auth.tokenLifetimeSeconds == 3600 && config.auth.clockLeewaySeconds == 30)
    #expect(config.mempool == MempoolConfig())
    #expect(config.limits == LimitsConfig())
  }

  @Test("every key is read")
  func everyKey() throws {
    let config = try parse(
      """
      name = "validator_7.a"
      data_dir = "/var/lib/sehc"
      genesis = "../shared/genesis.json"
      validator_key = "keys/v7.key"

      [peer]
      listen = "[::]:9100"
      certificate = "certs/v7.pem"
      ca = "/etc/consortium/ca.pem"

      [client]
      listen = "10.0.0.7:9200"
      certificate = "certs/v7-p256.pem"
      key = "certs/v7-p256.key"
      ca = "client-ca.pem"

      [metrics]
      enabled = false
      listen = "127.0.0.1:0"
      max_request_bytes = 4096

      [logging]
      level = "debug"
      format = "json"

      [auth]
      token_lifetime_seconds = 900
      clock_leeway_seconds = 5

      [mempool]
      max_transactions = 500
      max_bytes = 2097152
      max_per_sender = 8

      [limits]
      max_message_bytes = 1048576
      max_concurrent_streams = 16
      max_connections = 50
      max_wait_ms = 5000
      upload_session_ttl_seconds = 3600
      """, directory: "/srv/node")
    #expect(config.name == "validator_7.a")
    #expect(config.dataDirectory == "/var/lib/sehc")
    #expect(config.genesisFile == "/srv/shared/genesis.json")
    #expect(config.validatorKeyFile == "/srv/node/keys/v7.key")
    #expect(config.peer.key == "/srv/node/keys/v7.key", "peer.key follows validator_key")
    #expect(config.peer.listen == Endpoint(host: "::", port: 9100))
    #expect(config.peer.listen.description == "[::]:9100")
    #expect(config.peer.certificate == "/srv/node/certs/v7.pem")
    #expect(config.peer.ca == "/etc/consortium/ca.pem")
    #expect(config.client.listen == Endpoint(host: "10.0.0.7", port: 9200))
    #expect(config.client.key == "/srv/node/certs/v7-p256.key")
    #expect(config.client.ca == "/srv/node/client-ca.pem")
    #expect(
      !config.metrics.enabled && config.metrics.listen.port == 0 && config.metrics.maxRequestBytes == 4096)
    #expect(config.logging.level == .debug && config.logging.format == .json)
    #expect(config.auth.tokenLifetimeSeconds == 900 && config.auth.clockLeewaySeconds == 5)
    #expect(config.mempool.maxTransactions == 500 && config.mempool.maxBytes == 2_097_152)
    #expect(config.mempool.maxPerSender == 8)
    #expect(config.limits.maxMessageBytes == 1_048_576 && config.limits.maxConcurrentStreams == 16)
    #expect(config.limits.maxConnections == 50 && config.limits.maxWaitMs == 5000)
    #expect(config.limits.uploadSessionTTLSeconds == 3600)
  }

  @Test("client.ca defaults to peer.ca")
  func clientCAFollowsPeer() throws {
    let config = try parse("name = \"n1\"\n[peer]\nca = \"consortium.pem\"\n")
    #expect(config.client.ca == "/etc/sehc/consortium.pem")
  }

  @Test(
    "each mistake names the file, the key and the fix",
    arguments: [
      ("", "node.toml: name: missing; set it to the validator's name"),
      ("name = 7", "node.toml: name: must be a string (in quotes), not an integer (without quotes)"),
      ("name = \"\"", "node.toml: name: must not be empty"),
      ("name = \".hidden\"", "node.toml: name: \".hidden\" must be 1 to 64 letters"),
      ("name = \"a b\"", "node.toml: name: \"a b\" must be 1 to 64 letters"),
      (
        "name = \"n\"\nnmae = \"x\"",
        "node.toml: nmae: unknown key; the keys at the top level are: auth, client, data_dir, genesis"
      ),
      ("name = \"n\"\n[peer]\nlisten = \"0.0.0.0\"", "node.toml: peer.listen: \"0.0.0.0\" has no port"),
      (
        "name = \"n\"\n[peer]\nlisten = \"host:99999\"",
        "node.toml: peer.listen: \"host:99999\" has port \"99999\""
      ),
      (
        "name = \"n\"\n[peer]\nlisten = \"::1:80\"",
        "node.toml: peer.listen: \"::1:80\": write an IPv6 address in brackets"
      ),
      (
        "name = \"n\"\n[peer]\nlisten = \"bad_host:80\"",
        "node.toml: peer.listen: \"bad_host:80\": host \"bad_host\""
      ),
      (
        "name = \"n\"\n[peer]\nlistne = \"x\"",
        "node.toml: peer.listne: unknown key; the keys in [peer] are: ca, certificate, key, listen"
      ),
      ("name = \"n\"\npeer = \"x\"", "node.toml: peer: must be a table, not a string (in quotes)"),
      (
        "name = \"n\"\n[client]\nlisten = \"0.0.0.0:7100\"",
        "node.toml: client.listen: port 7100 is already peer.listen (0.0.0.0:7100)"
      ),
      (
        "name = \"n\"\n[metrics]\nlisten = \"127.0.0.1:7200\"",
        "node.toml: metrics.listen: port 7200 is already client.listen"
      ),
      (
        "name = \"n\"\n[metrics]\nenabled = \"yes\"",
        "node.toml: metrics.enabled: must be true or false, not a string"
      ),
      (
        "name = \"n\"\n[logging]\nlevel = \"verbose\"",
        "node.toml: logging.level: \"verbose\" is not one of \"trace\", \"debug\", \"info\""
      ),
      (
        "name = \"n\"\n[logging]\nformat = \"xml\"",
        "node.toml: logging.format: \"xml\" is not one of \"text\", \"json\""
      ),
      (
        "name = \"n\"\n[auth]\ntoken_lifetime_seconds = 0",
        "node.toml: auth.token_lifetime_seconds: must be from 60 to 604800, not 0"
      ),
      (
        "name = \"n\"\n[auth]\ntoken_lifetime_seconds = 1.5",
        "node.toml: auth.token_lifetime_seconds: must be an integer (without quotes), not a floating-point number"
      ),
      (
        "name = \"n\"\n[auth]\nclock_leeway_seconds = 301",
        "node.toml: auth.clock_leeway_seconds: must be from 0 to 300, not 301"
      ),
      (
        "name = \"n\"\n[mempool]\nmax_transactions = -1",
        "node.toml: mempool.max_transactions: must be from 1 to 10000000, not -1"
      ),
      (
        "name = \"n\"\n[limits]\nmax_message_bytes = 10",
        "node.toml: limits.max_message_bytes: must be from 65536 to 67108864, not 10"
      ),
      (
        "name = \"n\"\n[limits]\nsurprise = 1",
        "node.toml: limits.surprise: unknown key; the keys in [limits] are: max_concurrent_streams"
      ),
      (
        "name = \"n\"\ngenesis = \"\"",
        "node.toml: genesis: must not be empty; remove the key to use the default"
      ),
    ])
  func errors(text: String, expected: String) {
    let message = problem(text)
    #expect(message?.hasPrefix(expected) == true, "got: \(message ?? "no error")")
  }

  @Test("TOML syntax errors give the line and column")
  func syntax() {
    let message = problem("name = \"n\"\n[peer\nlisten = 1")
    #expect(message?.hasPrefix("node.toml:2:") == true, "got: \(message ?? "no error")")
    #expect(message?.contains("not valid TOML") == true)
  }

  @Test("load reads a file, resolves paths against its directory, and names a missing file")
  func load() throws {
    let directory = Fixtures.temporaryDirectory()
    let path = (directory as NSString).appendingPathComponent("node.toml")
    try "name = \"node-3\"\ngenesis = \"net/genesis.json\"\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    let config = try NodeConfig.load(path: path)
    #expect(config.sourceFile == path)
    #expect(config.genesisFile == directory + "/net/genesis.json")
    let missing = caught(ConfigError.self) { _ = try NodeConfig.load(path: directory + "/nope.toml") }
    #expect(
      missing?.description
        == "\(directory)/nope.toml: no such file; pass the node's TOML configuration (docs/operator.md lists its keys)"
    )
  }

  @Test("checkFiles names the key, the path and the command that makes the file")
  func files() throws {
    let directory = Fixtures.temporaryDirectory()
    let path = (directory as NSString).appendingPathComponent("node.toml")
    try "name = \"node-1\"\n".write(toFile: path, atomically: true, encoding: .utf8)
    let config = try NodeConfig.load(path: path)
    var error = caught(ConfigError.self) { try config.checkFiles() }
    #expect(error?.key == "genesis")
    #expect(
      error?.problem
        == "\(directory)/genesis.json: no such file; write it with: sehc genesis ... --out \(directory)/genesis.json"
    )
    for name in ["genesis.json", "node-1.key", "node-1.pem", "ca.pem", "node-1-client.pem"] {
      _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data())
    }
    error = caught(ConfigError.self) { try config.checkFiles() }
    #expect(error?.key == "client.key")
    #expect(error?.problem.hasSuffix("no such file; the private key of client.certificate") == true)
    _ = FileManager.default.createFile(atPath: directory + "/node-1-client.key", contents: Data())
    try config.checkFiles()
    _ = FileManager.default.createFile(atPath: directory + "/data", contents: Data())
    error = caught(ConfigError.self) { try config.checkFiles() }
    #expect(error?.key == "data_dir")
  }

  @Test(
    "endpoints",
    arguments: [
      ("127.0.0.1:7100", "127.0.0.1:7100"), ("[::1]:80", "[::1]:80"),
      ("Node-1.Example.org:443", "node-1.example.org:443"),
      ("[0:0:0:0:0:0:0:1]:1", "[::1]:1"),
    ])
  func endpoints(text: String, canonical: String) throws {
    #expect(try Endpoint(parsing: text).description == canonical)
  }

  @Test(
    "bad endpoints",
    arguments: ["", ":80", "host:", "host:0", "host:-1", "[::1", "[::1]80", "*.example.org:1", "a:b:c"])
  func badEndpoints(text: String) {
    #expect(caught(EndpointError.self) { _ = try Endpoint(parsing: text) } != nil)
  }
}
