import ArgumentParser
import Foundation

/// A failure a command reports as one line on standard error, with a specific exit status.
///
/// Exit statuses follow sysexits(3): 64 for wrong usage (such as an unknown type name), 65 for bad
/// input data, 66 for a missing input file, 73 for an output that cannot be created, 74 for I/O errors.
struct CommandFailure: Error, CustomStringConvertible {
  var message: String
  var exitCode: Int32

  init(_ message: String, exitCode: Int32) {
    self.message = message
    self.exitCode = exitCode
  }

  static func usage(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: 64) }
  static func badData(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: 65) }
  static func noInput(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: 66) }
  static func cannotCreate(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: 73) }
  static func io(_ message: String) -> CommandFailure { CommandFailure(message, exitCode: 74) }

  var description: String { message }
}

/// Runs a command body, turning a ``CommandFailure`` into its one line on standard error and its exit
/// status.
func reportingFailures(_ command: String, _ body: () async throws -> Void) async throws {
  do {
    try await body()
  } catch let failure as CommandFailure {
    FileHandle.standardError.write(Data("\(command): error: \(failure.message)\n".utf8))
    throw ExitCode(failure.exitCode)
  }
}

/// Reads a whole file, or standard input when `path` is nil or "-".
func readInput(_ path: String?) throws -> Data {
  guard let path, path != "-" else { return FileHandle.standardInput.readDataToEndOfFile() }
  guard FileManager.default.fileExists(atPath: path) else {
    throw CommandFailure.noInput("cannot read \(path): no such file")
  }
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw CommandFailure.noInput("cannot read \(path): \(error.localizedDescription)")
  }
}

/// The first line of `data` as text (a password file's password), without its line break.
func firstLine(of data: Data) -> String {
  String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
}

/// Writes `data` to a file, or to standard output when `path` is nil or "-".
func writeOutput(_ data: Data, to path: String?) throws {
  guard let path, path != "-" else {
    FileHandle.standardOutput.write(data)
    return
  }
  do {
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  } catch {
    throw CommandFailure.cannotCreate("cannot write \(path): \(error.localizedDescription)")
  }
}
