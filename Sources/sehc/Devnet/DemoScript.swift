import ChainCrypto
import Foundation
import GRPCCore
import Node
import RPC
import Wire

/// The steps of ``DevnetDemo``, each a call or two of the `HealthChain` API.
struct DemoScript {
  let layout: DevnetLayout
  let imageBytes: Int
  let recorder: StepRecorder

  private func connection(_ node: DevnetLayout.NodeEntry) -> NodeConnection {
    NodeConnection(endpoint: node.clientEndpoint, caFile: layout.caCertificate)
  }

  private var home: DevnetLayout.NodeEntry { layout.nodes[0] }

  func run() async {
    let home = connection(self.home)
    guard
      let adminToken = await recorder.step(
        "log in as the administrator on node-1",
        { () async throws -> (String, String) in
          let password = try layout.adminPassword()
          let response = try await home.withClient { client in
            try await client.login(LoginRequest(username: layout.adminUsername, password: password))
          }
          return (
            response.accessToken,
            "token for \(response.user?.username ?? "?"), shard \(response.user?.shard ?? 0)"
          )
        })
    else { return }

    let suffix = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    guard
      let people = await recorder.step(
        "register a patient and clinicians",
        { () async throws -> (People, String) in
          try await register(suffix: suffix, adminToken: adminToken)
        })
    else { return }

    guard
      await recorder.step(
        "store a lab report (patient, node-1)",
        { () async throws -> (Data, String) in
          let response = try await home.withClient { client in
            try await client.putRecord(
              PutRecordRequest(
                patient: people.patient.address, kind: "lab-report", mediaType: "text/plain",
                content: Data("SARS-CoV-2 RT-PCR: negative. CRP 4 mg/L.\n".utf8),
                metadata: [Attribute(key: "lab", value: "Devnet Central Lab")], waitFor: .shardCommitted),
              metadata: bearer(people.patientToken))
          }
          try expectCommitted(response.status)
          return (
            response.txID, "record \(short(response.txID)) in block \(response.status?.block?.height ?? 0)"
          )
        }) != nil
    else { return }

    let image = Self.syntheticStudy(bytes: imageBytes)
    guard
      let recordID = await recorder.step(
        "upload a CT study through node-1",
        { () async throws -> (Data, String) in
          try await upload(image, token: people.patientToken, patient: people.patient.address)
        })
    else { return }

    let shardNodes = await patientShardNodes(people.patient.shard, token: adminToken)
    let reader = shardNodes.first(where: { $0.name != self.home.name }) ?? self.home
    guard
      await recorder.step(
        "download it from \(reader.name) and check every chunk",
        { () async throws -> (Bool, String) in
          let seconds = try await download(
            recordID, from: reader, token: people.patientToken, expected: image)
          return (
            true, String(format: "%.1f MiB/s, SHA-256 matches", Double(image.count) / 1_048_576 / seconds)
          )
        }) != nil
    else { return }

    guard
      let requestID = await recorder.step(
        "a clinician asks for access",
        { () async throws -> (Data, String) in
          let response = try await home.withClient { client in
            try await client.requestAccess(
              RequestAccessRequest(
                request: RequestAccess(
                  patient: people.patient.address, recordID: recordID, reason: "COVID-19 follow-up"),
                waitFor: .shardCommitted),
              metadata: bearer(people.localClinicianToken))
          }
          try expectCommitted(response.status)
          return (response.txID, "request \(short(response.txID))")
        })
    else { return }

    guard
      await recorder.step(
        "the patient approves the request",
        { () async throws -> (Bool, String) in
          let response = try await home.withClient { client in
            try await client.decideRequest(
              DecideRequestRequest(
                decision: DecideRequest(requestID: requestID, approve: true, reason: "for the follow-up"),
                waitFor: .final),
              metadata: bearer(people.patientToken))
          }
          try expectCommitted(response.status)
          return (true, "grant \(short(response.txID)), \(response.status?.state ?? .unknown)")
        }) != nil
    else { return }

    guard
      await recorder.step(
        "the clinician downloads the study from \(reader.name)",
        { () async throws -> (Bool, String) in
          let seconds = try await download(
            recordID, from: reader, token: people.localClinicianToken, expected: image)
          return (
            true, String(format: "%.1f MiB/s, SHA-256 matches", Double(image.count) / 1_048_576 / seconds)
          )
        }) != nil
    else { return }

    guard
      await recorder.step(
        "grant a clinician of shard \(people.remoteClinician.shard) access (cross-shard)",
        {
          () async throws -> (Bool, String) in
          let response = try await home.withClient { client in
            try await client.grantAccess(
              GrantAccessRequest(
                grant: GrantAccess(grantee: people.remoteClinician.address, recordID: recordID),
                waitFor: .final),
              metadata: bearer(people.patientToken))
          }
          try expectCommitted(response.status)
          let status = try await waitForCrossShard(response.txID, token: people.patientToken)
          return (
            true,
            "final in shard \(status.block?.shard ?? 0), applied in shard \(status.targetBlock?.shard ?? 0) "
              + "block \(status.targetBlock?.height ?? 0)"
          )
        }) != nil
    else { return }

    _ = await recorder.step(
      "validate the chains on every node",
      { () async throws -> (Bool, String) in
        var checked: UInt64 = 0
        for node in layout.nodes {
          let validation = try await connection(node).withClient { client in
            try await client.validateChain(ValidateChainRequest(), metadata: bearer(adminToken))
          }
          guard validation.valid else {
            let bad = validation.chains.first { !$0.valid }
            throw DemoFailure(
              "\(node.name): \(bad?.error ?? "invalid") at height \(bad?.firstBadHeight ?? 0)")
          }
          checked += validation.chains.reduce(0) { $0 + $1.blocksChecked }
        }
        return (true, "\(layout.nodes.count) nodes, \(checked) blocks checked")
      })
  }

  // MARK: Steps in detail

  struct People: Sendable {
    var patient: User
    var patientToken: String
    var localClinician: User
    var localClinicianToken: String
    var remoteClinician: User
  }

  /// A node creates users in a shard it holds (docs/api.md, CreateUser): the patient and a clinician
  /// are created on node 1, the remote clinician on a member of another shard.
  private func register(suffix: String, adminToken: String) async throws -> (People, String) {
    let password = "demo-\(suffix)-password"
    func create(_ name: String, _ role: Role, _ organisation: String, on node: DevnetLayout.NodeEntry)
      async throws -> User
    {
      let response = try await connection(node).withClient { client in
        try await client.createUser(
          CreateUserRequest(
            username: name, password: password, role: role, organisation: organisation, displayName: name,
            waitFor: .shardCommitted),
          metadata: bearer(adminToken))
      }
      guard let user = response.user else { throw DemoFailure("CreateUser returned no user for \(name)") }
      return user
    }
    func login(_ name: String) async throws -> String {
      try await connection(home).withClient { client in
        try await client.login(LoginRequest(username: name, password: password))
      }.accessToken
    }
    let patient = try await create("patient-\(suffix)", .patient, "Devnet patients", on: home)
    let local = try await create("dr-lee-\(suffix)", .clinician, "Devnet General Hospital", on: home)
    let assignment = try await connection(home).withClient { client in
      try await client.getShardAssignment(
        GetShardAssignmentRequest(current: true), metadata: bearer(adminToken))
    }
    let otherMembers = Set(
      assignment.shards.filter { $0.shard != patient.shard }.flatMap(\.members).map(\.hexString))
    guard let remoteNode = layout.nodes.first(where: { otherMembers.contains($0.address) }) else {
      throw DemoFailure("no node serves another shard than the patient's (a devnet of one shard has none)")
    }
    let remote = try await create("dr-osei-\(suffix)", .clinician, "Devnet Chest Clinic", on: remoteNode)
    let people = People(
      patient: patient, patientToken: try await login(patient.username), localClinician: local,
      localClinicianToken: try await login(local.username), remoteClinician: remote)
    return (
      people,
      "patient and dr-lee in shard \(patient.shard) (node-1), dr-osei in shard \(remote.shard) (\(remoteNode.name))"
    )
  }

  private func upload(_ image: Data, token: String, patient: Data) async throws -> (Data, String) {
    let home = connection(self.home)
    let session = try await home.withClient { client in
      try await client.beginUpload(
        BeginUploadRequest(
          patient: patient, kind: "covid19-ct", mediaType: "application/dicom",
          totalSize: UInt64(image.count),
          contentHash: SHA256.hash(image).data, modality: "CT",
          studyInstanceUID: "1.2.826.0.1.3680043.10.1\(UInt32.random(in: 0..<UInt32.max))",
          waitFor: .shardCommitted),
        metadata: bearer(token))
    }
    let chunkSize = Int(session.chunkSize == 0 ? 1 << 20 : session.chunkSize)
    let bar = ProgressBar("upload", total: Int64(image.count), counting: .bytes)
    let started = Date()
    let response = try await home.withClient { client in
      try await client.uploadImage(metadata: bearer(token)) { writer in
        var offset = 0
        while offset < image.count {
          let end = min(offset + chunkSize, image.count)
          try await writer.write(
            UploadChunk(
              sessionID: session.sessionID, offset: UInt64(offset), data: image.subdata(in: offset..<end)))
          offset = end
          bar.update(Int64(offset))
        }
      }
    }
    bar.finish()
    let seconds = Date().timeIntervalSince(started)
    try expectCommitted(response.transaction?.status)
    return (
      response.recordID,
      String(
        format: "%d chunks, %.1f MiB/s, record %@", response.manifest?.chunkHashes.count ?? 0,
        Double(image.count) / 1_048_576 / seconds, short(response.recordID))
    )
  }

  /// Downloads `recordID` from `node`, checks it against `expected`, and returns the seconds it took.
  private func download(_ recordID: Data, from node: DevnetLayout.NodeEntry, token: String, expected: Data)
    async throws -> Double
  {
    let bar = ProgressBar("download from \(node.name)", total: Int64(expected.count), counting: .bytes)
    let started = Date()
    let received = try await connection(node).withClient { client in
      try await client.download(DownloadRequest(recordID: recordID), metadata: bearer(token)) { response in
        var data = Data()
        var next: UInt32 = 0
        for try await message in response.messages {
          switch message.part {
          case .chunk(let chunk):
            guard chunk.index == next else {
              throw DemoFailure("chunk \(chunk.index) arrived where \(next) was due")
            }
            next += 1
            data.append(chunk.data)
            bar.update(Int64(data.count))
          case .record, .none:
            continue
          }
        }
        return data
      }
    }
    bar.finish()
    guard received == expected else {
      throw DemoFailure("downloaded \(received.count) bytes that differ from the \(expected.count) uploaded")
    }
    return Date().timeIntervalSince(started)
  }

  private func patientShardNodes(_ shard: UInt32, token: String) async -> [DevnetLayout.NodeEntry] {
    guard
      let assignment = try? await connection(home).withClient({ client in
        try await client.getShardAssignment(GetShardAssignmentRequest(current: true), metadata: bearer(token))
      }),
      let members = assignment.shards.first(where: { $0.shard == shard })?.members
    else { return [home] }
    let hex = Set(members.map(\.hexString))
    return layout.nodes.filter { hex.contains($0.address) }
  }

  private func waitForCrossShard(_ txID: Data, token: String) async throws -> TransactionStatus {
    let deadline = Date().addingTimeInterval(60)
    while true {
      let status = try await connection(home).withClient { client in
        try await client.getTransaction(
          GetTransactionRequest(txID: txID, waitFor: .final, timeoutMs: 10_000), metadata: bearer(token))
      }
      switch status.crossShard {
      case .applied: return status
      case .aborted: throw DemoFailure("the target shard aborted the grant: \(status.reason)")
      default:
        if Date() > deadline { throw DemoFailure("the grant is not applied in the target shard after 60 s") }
        try await Task.sleep(for: .milliseconds(500))
      }
    }
  }

  private func expectCommitted(_ status: TransactionStatus?) throws {
    guard let status else { throw DemoFailure("the response carries no transaction status") }
    switch status.state {
    case .shardCommitted, .final: return
    case .rejected: throw DemoFailure("rejected: \(status.reason)")
    default: throw DemoFailure("not committed (\(status.state))")
    }
  }

  private func short(_ id: Data) -> String { String(id.hexString.prefix(12)) }

  /// A synthetic CT study: a DICOM preamble and `DICM` prefix, then deterministic pseudo-random voxels.
  static func syntheticStudy(bytes: Int) -> Data {
    var data = Data(count: max(bytes, 132))
    data.withUnsafeMutableBytes { raw in
      let buffer = raw.bindMemory(to: UInt8.self)
      var state: UInt64 = 0x5EED_C0FF_EE00_0001
      for index in 132..<buffer.count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        buffer[index] = UInt8(truncatingIfNeeded: state >> 56)
      }
      buffer[128] = 0x44
      buffer[129] = 0x49
      buffer[130] = 0x43
      buffer[131] = 0x4D
    }
    return data
  }
}
