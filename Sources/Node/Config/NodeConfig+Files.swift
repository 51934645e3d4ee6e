import Foundation

extension NodeConfig {
  /// Checks that every file the node reads exists and is a regular file, before anything starts.
  /// The error names the configuration key, the resolved path, and the command that makes the file.
  public func checkFiles() throws(ConfigError) {
    let file = sourceFile.isEmpty ? "configuration" : sourceFile
    let caHint = "the consortium CA's ca.pem (from: sehc ca init --dir CA_DIR)"
    let checks: [(key: String, path: String, hint: String)] = [
      ("genesis", genesisFile, "write it with: sehc genesis ... --out \(genesisFile)"),
      ("validator_key", validatorKeyFile, "make it with: sehc keygen --out \(validatorKeyFile)"),
      (
        "peer.certificate", peer.certificate,
        "issue it with: sehc cert issue --ca CA_DIR --node --name \(name) --key \(validatorKeyFile) --out DIR"
      ),
      ("peer.key", peer.key, "the private key of peer.certificate"),
      ("peer.ca", peer.ca, caHint),
      (
        "client.certificate", client.certificate,
        "issue it with: sehc cert issue --ca CA_DIR --node --name \(name)-client --key-type p256 --host HOST --out DIR"
      ),
      ("client.key", client.key, "the private key of client.certificate"),
      ("client.ca", client.ca, caHint),
    ]
    for check in checks {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: check.path, isDirectory: &isDirectory) else {
        throw ConfigError(file: file, key: check.key, problem: "\(check.path): no such file; \(check.hint)")
      }
      guard !isDirectory.boolValue else {
        throw ConfigError(
          file: file, key: check.key, problem: "\(check.path) is a directory, not a file; \(check.hint)")
      }
    }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: dataDirectory, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      throw ConfigError(
        file: file, key: "data_dir",
        problem: "\(dataDirectory) is a file; data_dir must be a directory (or not exist yet)")
    }
  }
}
