import ArgumentParser
import Foundation
import GRPCCore
import Wire

/// `sehc client`: every `HealthChain` call from the command line.
struct ClientCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "client",
    abstract: "Call a node's HealthChain API: log in, upload and download images, and any other method.",
    discussion: """
      Connect with --node HOST:PORT --ca FILE, or --devnet DIR [--on NODE] for a network made by \
      `sehc devnet`. Sessions: `export SEHC_TOKEN=$(sehc client login NAME ...)`. Output is text by \
      default and one JSON object per line with --json. A refused call prints its gRPC status and \
      message and exits with 77 (unauthenticated, permission denied), 65 (invalid argument, not \
      found, already exists, failed precondition, out of range), 69 (unavailable, deadline \
      exceeded) or 70 (any other status). See docs/api.md, "From the command line".
      """,
    subcommands: [
      ClientLogin.self, ClientCall.self, ClientMethods.self, ClientUpload.self, ClientDownload.self,
    ])
}

/// `sehc client methods`: the callable methods with their message types.
struct ClientMethods: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "methods", abstract: "List the HealthChain methods with their request and response types.")

  func run() async throws {
    for method in ClientMethod.all {
      let streaming =
        switch method.kind {
        case .serverStreaming: " (a stream of responses)"
        case .clientStreaming: " (a stream of requests: use `sehc client upload`)"
        default: ""
        }
      print("\(method.name)  \(method.requestType) -> \(method.responseType)\(streaming)")
    }
  }
}

/// `sehc client call METHOD [JSON]`: any method, its request in the proto3 JSON mapping.
struct ClientCall: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "call",
    abstract: "Call any HealthChain method with a JSON request; print each response.",
    discussion: """
      The request is the proto3 JSON of the method's request type (`sehc client methods` lists them; \
      bytes fields are base64, as in every proto3 JSON). Examples:
        sehc client call GetNodeInfo
        sehc client call GetTransaction '{"transactionId": "..."}'
        sehc client call ListRBlocks '{"fromHeight": "1"}' --json
      """)

  @Argument(help: "The method, for example GetNodeInfo (case does not matter).")
  var method: String

  @Argument(help: "The request as JSON; - reads it from standard input (default: {}).")
  var request: String?

  @OptionGroup var options: ClientOptions

  func run() async throws {
    try await reportingFailures("sehc client call") {
      let method = try ClientMethod.named(self.method)
      let json =
        request == "-" ? String(decoding: try readInput("-"), as: UTF8.self) : (request ?? "{}")
      let metadata = try options.metadata()
      let options = self.options
      try await callReportingStatus {
        try await options.connection().withGRPCClient { client in
          try await method.call(client, json, metadata) { options.print($0) }
        }
      }
    }
  }
}

/// `sehc client login NAME`: a session token on standard output.
struct ClientLogin: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "login",
    abstract: "Log in and print the session token (a JWT) for --token or $SEHC_TOKEN.",
    discussion:
      "The password comes from --password-file, $SEHC_PASSWORD, or the first line of standard input.")

  @Argument(help: "The user name.")
  var username: String

  @Option(help: ArgumentHelp("A file whose first line is the password.", valueName: "file"))
  var passwordFile: String?

  @OptionGroup var options: ClientOptions

  func run() async throws {
    try await reportingFailures("sehc client login") {
      let password: String
      if let passwordFile {
        password = firstLine(of: try readInput(passwordFile))
      } else if let environment = ProcessInfo.processInfo.environment["SEHC_PASSWORD"] {
        password = environment
      } else {
        password = readLine(strippingNewline: true) ?? ""
      }
      guard !password.isEmpty else {
        throw CommandFailure.usage(
          "no password: give --password-file FILE, $SEHC_PASSWORD, or a line on stdin")
      }
      let username = self.username
      let response = try await callReportingStatus {
        try await options.connection().withClient { client in
          try await client.login(LoginRequest(username: username, password: password))
        }
      }
      if options.json {
        options.print(response)
      } else {
        print(response.accessToken)
        let expires = Date(timeIntervalSince1970: Double(response.expiresAtMs) / 1000)
        let role = response.user.map { " (\($0.role), shard \($0.shard))" } ?? ""
        FileHandle.standardError.write(
          Data("logged in as \(username)\(role); the token expires at \(expires)\n".utf8))
      }
    }
  }
}

/// Runs a call, turning a gRPC failure into one line with its status and an exit status for scripts.
func callReportingStatus<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
  do {
    return try await body()
  } catch let error as RPCError {
    let exitCode: Int32 =
      switch error.code {
      case .unavailable, .deadlineExceeded: 69
      case .unauthenticated, .permissionDenied: 77
      case .invalidArgument, .failedPrecondition, .outOfRange, .notFound, .alreadyExists: 65
      default: 70
      }
    throw CommandFailure("\(error.code): \(error.message)", exitCode: exitCode)
  }
}
