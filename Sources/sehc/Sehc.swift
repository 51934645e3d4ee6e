import ArgumentParser

/// The `sehc` command: operator, client, developer and research tooling for SeHealthChain.
@main
struct Sehc: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sehc",
    abstract: "SeHealthChain: a reputation-based, sharded, dual-chain blockchain for healthcare.",
    version: "0.1.0",
    subcommands: [
      Keygen.self, CA.self, Cert.self, GenesisCommand.self, NodeCommand.self, WireCommand.self,
      SimulateCommand.self, ClientCommand.self, UserCommand.self,
      DevnetCommand.self,
    ]
  )
}
