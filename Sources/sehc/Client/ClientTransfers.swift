import ArgumentParser
import ChainCrypto
import Foundation
import GRPCCore
import Wire

/// `sehc client upload FILE`: an image streamed in chunks with a progress bar, resumable.
struct ClientUpload: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "upload",
    abstract: "Upload an image (a DICOM study, an X-ray) as a record of a patient, with a progress bar.",
    discussion: """
      Prints the record id and the transaction. An interrupted upload goes on from where the node \
      stopped receiving with --resume SESSION (the session id it printed, valid until the session \
      expires).
      """)

  @Argument(help: "The file to upload.")
  var file: String

  @Option(help: ArgumentHelp("The patient's address (40 hex digits).", valueName: "hex"))
  var patient: String

  @Option(help: "The record kind.")
  var kind = "covid19-ct"

  @Option(help: "The media type.")
  var mediaType = "application/dicom"

  @Option(help: "The DICOM modality (CT, CR, DX...).")
  var modality = ""

  @Option(help: ArgumentHelp("The DICOM study instance UID.", valueName: "uid"))
  var studyUid = ""

  @Option(
    help: ArgumentHelp("Wait until the record is admitted, shard-committed or final.", valueName: "level"))
  var wait = "shard-committed"

  @Option(
    help: ArgumentHelp("Go on with this upload session (hex) instead of starting one.", valueName: "hex"))
  var resume: String?

  @OptionGroup var options: ClientOptions

  func run() async throws {
    try await reportingFailures("sehc client upload") {
      let image = try readInput(file)
      guard !image.isEmpty else { throw CommandFailure.badData("\(file) is empty") }
      let patient = try hexArgument(self.patient, "--patient", bytes: 20)
      let waitFor = try commitment(wait)
      let metadata = try options.metadata()
      let connection = try options.connection()
      let request = BeginUploadRequest(
        patient: patient, kind: kind, mediaType: mediaType, totalSize: UInt64(image.count),
        contentHash: SHA256.hash(image).data, modality: modality, studyInstanceUID: studyUid, waitFor: waitFor
      )
      let resume = try self.resume.map { try hexArgument($0, "--resume", bytes: nil) }
      let session = try await callReportingStatus {
        try await connection.withClient { client in
          if let resume {
            try await client.getUpload(GetUploadRequest(sessionID: resume), metadata: metadata)
          } else {
            try await client.beginUpload(request, metadata: metadata)
          }
        }
      }
      guard session.totalSize == UInt64(image.count) else {
        throw CommandFailure.badData(
          "session \(session.sessionID.hexString) is for \(session.totalSize) bytes; \(file) has \(image.count)"
        )
      }
      if !options.json {
        FileHandle.standardError.write(Data("upload session \(session.sessionID.hexString)\n".utf8))
      }
      let chunkSize = Int(session.chunkSize == 0 ? 1 << 20 : session.chunkSize)
      let bar = ProgressBar(
        "upload", total: Int64(image.count), counting: .bytes, enabled: !options.json)
      let start = Int(session.received)
      bar.update(Int64(start))
      let response = try await callReportingStatus {
        try await connection.withClient { client in
          try await client.uploadImage(metadata: metadata) { writer in
            var offset = start
            while offset < image.count {
              let end = min(offset + chunkSize, image.count)
              try await writer.write(
                UploadChunk(
                  sessionID: session.sessionID, offset: UInt64(offset), data: image.subdata(in: offset..<end))
              )
              offset = end
              bar.update(Int64(offset))
            }
          }
        }
      }
      bar.finish()
      if options.json {
        options.print(response)
      } else {
        print("record \(response.recordID.hexString)")
        if let transaction = response.transaction { options.print(transaction) }
      }
    }
  }
}

/// `sehc client download RECORD`: a record's content, checked chunk by chunk against its manifest.
struct ClientDownload: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "download",
    abstract: "Download a record's content from any node of its shard, checking every chunk's hash.")

  @Argument(help: "The record id (64 hex digits).")
  var record: String

  @Option(
    name: .shortAndLong, help: ArgumentHelp("Where to write the content (- for stdout).", valueName: "file"))
  var output: String

  @OptionGroup var options: ClientOptions

  func run() async throws {
    try await reportingFailures("sehc client download") {
      let recordID = try hexArgument(record, "the record id", bytes: 32)
      let metadata = try options.metadata()
      let showsProgress = !options.json && output != "-"
      let (record, content) = try await callReportingStatus {
        try await options.connection().withClient { client in
          try await client.download(DownloadRequest(recordID: recordID), metadata: metadata) { response in
            try await Self.receive(response.messages, showsProgress: showsProgress)
          }
        }
      }
      try writeOutput(content, to: output)
      if output == "-" {
        return
      } else if options.json {
        options.print(record)
      } else {
        print("\(content.count) bytes to \(output), every chunk and the whole checked against the manifest")
      }
    }
  }

  /// The record and its content, each chunk checked against the manifest as it arrives.
  private static func receive(
    _ messages: RPCAsyncSequence<DownloadResponse, any Error>, showsProgress: Bool
  ) async throws -> (Record, Data) {
    var record: Record?
    var manifest = BlobManifest()
    var content = Data()
    var bar: ProgressBar?
    for try await message in messages {
      switch message.part {
      case .record(let first):
        record = first
        manifest = first.content ?? BlobManifest()
        bar = ProgressBar(
          "download", total: Int64(manifest.totalSize), counting: .bytes, enabled: showsProgress)
      case .chunk(let chunk):
        let index = Int(chunk.index)
        guard index < manifest.chunkHashes.count,
          chunk.index == UInt32(content.count / max(Int(manifest.chunkSize), 1))
        else {
          throw CommandFailure.badData("chunk \(chunk.index) arrived out of order or beyond the manifest")
        }
        guard SHA256.hash(chunk.data).data == manifest.chunkHashes[index] else {
          throw CommandFailure.badData("chunk \(chunk.index) does not match its hash in the manifest")
        }
        content.append(chunk.data)
        bar?.update(Int64(content.count))
      case .none:
        continue
      }
    }
    bar?.finish()
    guard let record else { throw CommandFailure.badData("the node sent no record before the content") }
    guard UInt64(content.count) == manifest.totalSize, SHA256.hash(content).data == manifest.contentHash
    else {
      throw CommandFailure.badData(
        "the content (\(content.count) of \(manifest.totalSize) bytes) does not match the manifest's hash")
    }
    return (record, content)
  }
}

/// Bytes from a hex command-line argument, of `bytes` length when given.
func hexArgument(_ text: String, _ name: String, bytes: Int?) throws -> Data {
  guard let data = Data(hexString: text), bytes == nil || data.count == bytes else {
    let size = bytes.map { "\($0 * 2) hex digits" } ?? "hex digits"
    throw CommandFailure.usage("\(name) must be \(size), not \"\(text)\"")
  }
  return data
}

/// The commitment level a `--wait` value names.
func commitment(_ level: String) throws -> Commitment {
  switch level {
  case "admitted": return .admitted
  case "shard-committed": return .shardCommitted
  case "final": return .final
  default: throw CommandFailure.usage("--wait must be admitted, shard-committed or final, not \(level)")
  }
}
