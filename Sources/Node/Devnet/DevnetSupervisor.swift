import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the nodes of a ``DevnetLayout`` as child processes (`sehc node start --config DIR/node-N/node.toml`),
/// each writing its log to `DIR/node-N/node.log`, and stops them: SIGTERM, then SIGKILL for a node that
/// has not stopped within the grace period.
public final class DevnetSupervisor: @unchecked Sendable {
  /// A node that stopped while it should have been running.
  public struct Exit: Sendable, Equatable {
    public var name: String
    public var status: Int32
    /// The last lines of its log.
    public var logTail: String
  }

  public let layout: DevnetLayout
  private let executable: String
  private let lock = NSLock()
  private var processes: [String: Process] = [:]
  private var stopping = false

  /// A supervisor that starts nodes with the `sehc` executable at `executable`.
  public init(layout: DevnetLayout, executable: String) {
    self.layout = layout
    self.executable = executable
  }

  /// The log file of `node`.
  public static func logFile(of node: DevnetLayout.NodeEntry) -> String {
    (node.directory as NSString).appendingPathComponent("node.log")
  }

  /// Starts every node that is not running.
  public func startAll() throws {
    for node in layout.nodes { try start(node.name) }
  }

  /// Starts the node `name` (no-op while it runs).
  public func start(_ name: String) throws {
    guard let node = layout.nodes.first(where: { $0.name == name }) else {
      throw DevnetError(
        "no node \(name) in this devnet; the nodes are \(layout.nodes.map(\.name).joined(separator: ", "))")
    }
    lock.lock()
    defer { lock.unlock() }
    if let running = processes[name], running.isRunning { return }
    let logPath = Self.logFile(of: node)
    if !FileManager.default.fileExists(atPath: logPath) {
      _ = FileManager.default.createFile(
        atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600])
    }
    guard let log = FileHandle(forWritingAtPath: logPath) else {
      throw DevnetError("cannot write \(logPath); check the permissions of \(node.directory)")
    }
    log.seekToEndOfFile()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["node", "start", "--config", node.configFile]
    process.currentDirectoryURL = URL(fileURLWithPath: node.directory)
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = log
    process.standardError = log
    do {
      try process.run()
    } catch {
      throw DevnetError("cannot start \(executable) for \(name): \(error)")
    }
    processes[name] = process
  }

  /// Sends `signal` to node `name` (SIGKILL simulates a crash).
  public func signal(_ name: String, _ signal: Int32) {
    lock.lock()
    let process = processes[name]
    lock.unlock()
    if let process, process.isRunning { kill(process.processIdentifier, signal) }
  }

  /// Waits until node `name` has exited.
  public func waitForExit(_ name: String) {
    lock.lock()
    let process = processes[name]
    lock.unlock()
    process?.waitUntilExit()
  }

  /// The nodes that exited although nobody asked them to stop.
  public func unexpectedExits() -> [Exit] {
    lock.lock()
    defer { lock.unlock() }
    if stopping { return [] }
    return layout.nodes.compactMap { node in
      guard let process = processes[node.name], !process.isRunning else { return nil }
      return Exit(
        name: node.name, status: process.terminationStatus, logTail: Self.tail(of: Self.logFile(of: node)))
    }
  }

  /// Stops every node: SIGTERM, then SIGKILL after `grace` seconds. Returns the nodes that needed SIGKILL.
  @discardableResult
  public func stopAll(grace: TimeInterval = 10) -> [String] {
    lock.lock()
    stopping = true
    let running = processes.filter { $0.value.isRunning }
    lock.unlock()
    for process in running.values { kill(process.processIdentifier, SIGTERM) }
    let deadline = Date().addingTimeInterval(grace)
    while Date() < deadline, running.values.contains(where: \.isRunning) { usleep(50_000) }
    var killed: [String] = []
    for (name, process) in running where process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      killed.append(name)
    }
    return killed.sorted()
  }

  /// Waits until every node answers `/healthz` with 200, or fails with the first node that exited or the
  /// ones still not serving after `timeout` seconds.
  public func waitUntilServing(timeout: TimeInterval) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    var pending = layout.nodes
    while !pending.isEmpty {
      if let exit = unexpectedExits().first {
        throw DevnetError(
          "\(exit.name) exited with status \(exit.status) while starting; its log ends:\n\(exit.logTail)")
      }
      var still: [DevnetLayout.NodeEntry] = []
      for node in pending {
        let (host, port) = Self.split(node.metricsEndpoint)
        if await HealthProbe.probe(host: host, port: port) != .serving { still.append(node) }
      }
      pending = still
      if pending.isEmpty { return }
      if Date() > deadline {
        throw DevnetError(
          "\(pending.map(\.name).joined(separator: ", ")) not serving after \(Int(timeout)) s; see their node.log files"
        )
      }
      try await Task.sleep(for: .milliseconds(250))
    }
  }

  /// `host` and `port` of a `host:port` endpoint.
  public static func split(_ endpoint: String) -> (host: String, port: Int) {
    guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...])
    else {
      return (endpoint, 0)
    }
    return (String(endpoint[..<colon]), port)
  }

  static func tail(of path: String, lines: Int = 15) -> String {
    guard let data = FileManager.default.contents(atPath: path) else { return "(no log)" }
    let all = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    return all.suffix(lines).map { "    " + $0 }.joined(separator: "\n")
  }
}
