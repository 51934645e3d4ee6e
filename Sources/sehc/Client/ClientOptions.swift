import ArgumentParser
import Foundation
import GRPCCore
import Node
import Wire

/// Where a client command connects and with which session: a node and CA given directly, or a devnet
/// directory and one of its nodes; a token given, read from a file, or taken from `$SEHC_TOKEN`.
struct ClientOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The node's client endpoint (or $SEHC_NODE).", valueName: "host:port"))
  var node: String?

  @Option(help: ArgumentHelp("The consortium CA certificate, PEM (or $SEHC_CA).", valueName: "file"))
  var ca: String?

  @Option(
    help: ArgumentHelp(
      "The name to check the node's certificate against (default: the host).", valueName: "name"))
  var serverName: String?

  @Option(
    help: ArgumentHelp(
      "A devnet directory: take the CA and the endpoint of --on from its network.json.", valueName: "dir"))
  var devnet: String?

  @Option(help: ArgumentHelp("With --devnet: the node to call (default: node-1).", valueName: "name"))
  var on: String?

  @Option(help: ArgumentHelp("A session token from `sehc client login` (or $SEHC_TOKEN).", valueName: "jwt"))
  var token: String?

  @Option(help: ArgumentHelp("A file holding the session token.", valueName: "file"))
  var tokenFile: String?

  @Flag(help: "Print each response as one line of JSON (the proto3 JSON mapping) instead of text.")
  var json = false

  /// The connection these options describe.
  func connection() throws -> NodeConnection {
    let environment = ProcessInfo.processInfo.environment
    if let devnet {
      let layout: DevnetLayout
      do { layout = try DevnetLayout.load(directory: devnet) } catch {
        throw CommandFailure.noInput("cannot read the devnet in \(devnet): \(error)")
      }
      let name = on ?? "node-1"
      guard let entry = layout.nodes.first(where: { $0.name == name }) else {
        let names = layout.nodes.map(\.name).joined(separator: ", ")
        throw CommandFailure.usage("the devnet in \(devnet) has no node \(name); it has \(names)")
      }
      return NodeConnection(
        endpoint: node ?? entry.clientEndpoint, caFile: ca ?? layout.caCertificate, serverName: serverName)
    }
    guard let endpoint = node ?? environment["SEHC_NODE"] else {
      throw CommandFailure.usage("say which node to call: --node HOST:PORT, $SEHC_NODE, or --devnet DIR")
    }
    guard let caFile = ca ?? environment["SEHC_CA"] else {
      throw CommandFailure.usage("say which CA signs the node's certificate: --ca FILE or $SEHC_CA")
    }
    return NodeConnection(endpoint: endpoint, caFile: caFile, serverName: serverName)
  }

  /// The call metadata: the bearer token when there is one.
  func metadata() throws -> Metadata {
    var value = token
    if value == nil, let tokenFile {
      let data = try readInput(tokenFile)
      value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    if value == nil { value = ProcessInfo.processInfo.environment["SEHC_TOKEN"] }
    guard let value, !value.isEmpty else { return [:] }
    return bearer(value)
  }

  /// Prints one response message: JSON on one line, or indented text.
  func print(_ message: any WireMessage) {
    let text = json ? message.jsonString(pretty: false) : MessageText.render(message)
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
  }
}
