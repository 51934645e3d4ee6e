internal import Foundation

/// A command-line failure: one line on standard error and a sysexits(3) status.
///
/// 64 wrong usage, 66 a missing input file, 69 a service that cannot be reached or offered (a port
/// that cannot be bound), 78 a configuration that does not work (certificates, keys).
public struct CommandLineFailure: Error, CustomStringConvertible {
  public var message: String
  public var exitCode: Int32

  public init(_ message: String, exitCode: Int32) {
    self.message = message
    self.exitCode = exitCode
  }

  /// Wrong usage (EX_USAGE, 64).
  public static func usage(_ message: String) -> CommandLineFailure {
    CommandLineFailure(message, exitCode: 64)
  }
  /// A missing or unreadable input file (EX_NOINPUT, 66).
  public static func noInput(_ message: String) -> CommandLineFailure {
    CommandLineFailure(message, exitCode: 66)
  }
  /// A service that cannot be offered or reached (EX_UNAVAILABLE, 69).
  public static func unavailable(_ message: String) -> CommandLineFailure {
    CommandLineFailure(message, exitCode: 69)
  }
  /// A configuration error (EX_CONFIG, 78).
  public static func configuration(_ message: String) -> CommandLineFailure {
    CommandLineFailure(message, exitCode: 78)
  }

  public var description: String { message }

  /// Prints `command: error: message` on standard error and exits with the status.
  public func exit(command: String) -> Never {
    FileHandle.standardError.write(Data("\(command): error: \(message)\n".utf8))
    Foundation.exit(exitCode)
  }
}

/// Flags in the style of grpc's interop binaries: `--name=value` or `--name value`, names with
/// underscores, booleans written `true` or `false`.
public struct CommandLineFlags {
  private var values: [String: String] = [:]
  private let known: Set<String>

  /// Parses `arguments` (without the program name); every flag must be one of `known`.
  public init(_ arguments: [String], known: Set<String>) throws(CommandLineFailure) {
    self.known = known
    var remaining = arguments[...]
    while let argument = remaining.popFirst() {
      guard argument.hasPrefix("--"), argument.count > 2 else {
        throw .usage("unexpected argument '\(argument)'")
      }
      let flag = argument.dropFirst(2)
      let name: String
      let value: String
      if let equals = flag.firstIndex(of: "=") {
        name = String(flag[..<equals])
        value = String(flag[flag.index(after: equals)...])
      } else {
        name = String(flag)
        guard let next = remaining.popFirst() else { throw .usage("--\(name) needs a value") }
        value = next
      }
      guard known.contains(name) else { throw .usage("unknown flag --\(name)") }
      guard values[name] == nil else { throw .usage("--\(name) is given twice") }
      values[name] = value
    }
  }

  /// The value of `--name`, or nil when it is not given.
  public func string(_ name: String) -> String? {
    precondition(known.contains(name), "undeclared flag \(name)")
    return values[name]
  }

  /// The value of `--name` as a boolean (`true`/`false`, also `1`/`0`, `yes`/`no`).
  public func bool(_ name: String, default defaultValue: Bool) throws(CommandLineFailure) -> Bool {
    guard let value = string(name) else { return defaultValue }
    switch value.lowercased() {
    case "true", "1", "yes": return true
    case "false", "0", "no": return false
    default: throw .usage("--\(name) must be true or false, not '\(value)'")
    }
  }

  /// The value of `--name` as a TCP port (0 to 65535).
  public func port(_ name: String) throws(CommandLineFailure) -> Int? {
    guard let value = string(name) else { return nil }
    guard let port = Int(value), (0...65535).contains(port) else {
      throw .usage("--\(name) must be a port number from 0 to 65535, not '\(value)'")
    }
    return port
  }

  /// The value of `--name` as the path of a file that exists.
  public func inputFile(_ name: String) throws(CommandLineFailure) -> String? {
    guard let path = string(name) else { return nil }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw .noInput("cannot read --\(name) \(path): no such readable file")
    }
    return path
  }
}
