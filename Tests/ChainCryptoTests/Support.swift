import Foundation
import Testing

@testable import ChainCrypto

/// Bytes from hex in test vectors (whitespace ignored); traps on bad input, which is a test bug.
func hex(_ text: String) -> Data {
  Data(hexString: text.filter { !$0.isWhitespace })!
}

extension Data {
  var hex: String { hexString }
}

/// The package's root folder.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary folder, removed when the test process ends is not needed: each test gets its own.
func temporaryDirectory() throws -> String {
  let path = NSTemporaryDirectory() + "chaincrypto-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The permission bits of a file.
func mode(of path: String) throws -> Int {
  let attributes = try FileManager.default.attributesOfItem(atPath: path)
  return (attributes[.posixPermissions] as! NSNumber).intValue
}

/// Runs a process and returns its exit status and output.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (
  status: Int32, stdout: Data, stderr: String
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let stdout = Pipe()
  let stderr = Pipe()
  let stdin = Pipe()
  process.standardOutput = stdout
  process.standardError = stderr
  process.standardInput = stdin
  try process.run()
  // Feed stdin and drain both pipes concurrently so that a large exchange cannot deadlock.
  let group = DispatchGroup()
  nonisolated(unsafe) var out = Data()
  nonisolated(unsafe) var err = Data()
  DispatchQueue.global().async(group: group) { out = stdout.fileHandleForReading.readDataToEndOfFile() }
  DispatchQueue.global().async(group: group) { err = stderr.fileHandleForReading.readDataToEndOfFile() }
  if let input { stdin.fileHandleForWriting.write(input) }
  try stdin.fileHandleForWriting.close()
  group.wait()
  process.waitUntilExit()
  return (process.terminationStatus, out, String(decoding: err, as: UTF8.self))
}
