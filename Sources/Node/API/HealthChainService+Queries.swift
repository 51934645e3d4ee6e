import ChainCrypto
import Foundation
import GRPCCore
import Ledger
import Wire

/// State queries: accounts, records, grants and requests, validators and the node itself.
extension HealthChainService {
  public func getAccount(request: GetAccountRequest, context: ServerContext) async throws -> Account {
    let address = try Inputs.address(request.address, "address")
    let account: Account?
    do { account = try await self.context.backend.account(address) } catch { throw error.rpcError }
    guard let account else { throw APIError.notFound("no account \(address.hex)") }
    return account
  }

  public func getRecord(request: GetRecordRequest, context: ServerContext) async throws -> Record {
    let principal = try Principal.required()
    let access = RecordAccess(context: self.context)
    let record = try await access.record(try Inputs.id(request.recordID, "record_id"))
    guard try access.mayView(principal, record) else {
      throw APIError.denied(
        "\(principal.username) may not see record \(record.recordID.hexString): only its patient, its author, "
          + "grantees, admins and auditors may")
    }
    return record
  }

  /// The patient's records the caller may see, a page at a time (the page token is the ledger's).
  public func listRecords(request: ListRecordsRequest, context: ServerContext) async throws
    -> ListRecordsResponse
  {
    let principal = try Principal.required()
    let patient = try Inputs.address(request.patient, "patient")
    try await self.context.requireHeld(self.context.shard(of: patient), for: "the records of \(patient.hex)")
    let page = try await handle("listing the records") {
      try self.context.ledger.records(
        patient: patient.rawRepresentation,
        pageSize: Int(request.pageSize == 0 ? 100 : min(request.pageSize, 100)),
        pageToken: request.pageToken)
    }
    let access = RecordAccess(context: self.context)
    return ListRecordsResponse(
      records: try page.records.filter { try access.mayView(principal, $0) },
      nextPageToken: page.nextPageToken)
  }

  public func listGrants(request: ListGrantsRequest, context: ServerContext) async throws
    -> ListGrantsResponse
  {
    let party = try ownParty(request.party)
    try await self.context.requireHeld(self.context.shard(of: party), for: "the grants of \(party.hex)")
    let grants = try await handle("listing the grants") {
      try self.context.ledger.grants(
        party: party.rawRepresentation, asGrantee: request.asGrantee,
        includeInactive: request.includeInactive,
        nowMs: self.context.nowMs)
    }
    return ListGrantsResponse(grants: grants)
  }

  public func listAccessRequests(request: ListAccessRequestsRequest, context: ServerContext) async throws
    -> ListAccessRequestsResponse
  {
    let party = try ownParty(request.party)
    if case .unrecognized(let number) = request.state {
      throw APIError.invalid("state \(number) is not a RequestState")
    }
    try await self.context.requireHeld(
      self.context.shard(of: party), for: "the access requests of \(party.hex)")
    let requests = try await handle("listing the access requests") {
      try self.context.ledger.accessRequests(
        party: party.rawRepresentation, asRequester: request.asRequester,
        state: request.state == .unspecified ? nil : request.state)
    }
    return ListAccessRequestsResponse(requests: requests)
  }

  /// `bytes` as the party of a grant or request list: the caller itself (empty means the caller), or
  /// anyone for admins and auditors.
  private func ownParty(_ bytes: Data) throws -> Address {
    let principal = try Principal.required()
    guard !bytes.isEmpty else { return principal.address }
    let party = try Inputs.address(bytes, "party")
    guard party == principal.address || principal.role == .admin || principal.role == .auditor else {
      throw APIError.denied(
        "\(principal.username) may list only their own grants and requests; admins and auditors may list anyone's"
      )
    }
    return party
  }

  public func getReputation(request: GetReputationRequest, context: ServerContext) async throws
    -> GetReputationResponse
  {
    let api = self.context
    let reputation = await api.backend.currentReputation()
    let assignment = await api.backend.currentAssignment()
    let latest = try await handle("reading the RChain") {
      try api.ledger.rblock(height: 0).map { try RBlockHeader(serializedBytes: $0.header) }
    }
    // Validators' accounts of other shards come from those shards' members: ask for all at once.
    let backend = api.backend
    let balances = await withTaskGroup(of: (Address, UInt64).self) { group in
      for validator in api.genesis.validators {
        group.addTask { (validator.address, (try? await backend.account(validator.address))??.balance ?? 0) }
      }
      return await group.reduce(into: [Address: UInt64]()) { $0[$1.0] = $1.1 }
    }
    var validators: [ValidatorInfo] = []
    for validator in api.genesis.validators {
      let bytes = validator.address.rawRepresentation
      let members = assignment.shards.first { $0.members.contains(bytes) }
      let balance = balances[validator.address] ?? 0
      validators.append(
        ValidatorInfo(
          address: bytes, name: validator.name, shard: members?.shard ?? 0,
          leaderRank: UInt32(members?.members.firstIndex(of: bytes) ?? 0),
          reputationPPM: reputation[validator.address] ?? validator.initialReputationPPM, balance: balance))
    }
    validators.sort {
      $0.reputationPPM != $1.reputationPPM
        ? $0.reputationPPM > $1.reputationPPM : $0.address.lexicographicallyPrecedes($1.address)
    }
    return GetReputationResponse(
      rblockHeight: latest?.height ?? 0, epoch: assignment.epoch, validators: validators)
  }

  public func getShardAssignment(request: GetShardAssignmentRequest, context: ServerContext) async throws
    -> ShardAssignment
  {
    if request.current { return await self.context.backend.currentAssignment() }
    guard let assignment = await self.context.backend.assignment(epoch: request.epoch) else {
      let current = await self.context.backend.currentAssignment().epoch
      throw APIError.notFound(
        "this node knows no assignment of epoch \(request.epoch); the current epoch is \(current)")
    }
    return assignment
  }

  public func getNodeInfo(request: GetNodeInfoRequest, context: ServerContext) async throws -> NodeInfo {
    let api = self.context
    let node = api.backend.nodeAddress
    let assignment = await api.backend.currentAssignment()
    var heights: [ShardHeight] = []
    for shard in await api.backend.heldShards() {
      let head = try await handle("reading the chain") { try api.ledger.head(shard: shard) }
      heights.append(ShardHeight(shard: shard, height: head.height))
    }
    let rblockHeight = try await handle("reading the RChain") {
      try api.ledger.rblock(height: 0).map { try RBlockHeader(serializedBytes: $0.header).height } ?? 0
    }
    return NodeInfo(
      chainID: api.genesis.chainID, name: api.genesis.validator(address: node)?.name ?? "",
      validator: node.rawRepresentation,
      shard: assignment.shards.first { $0.members.contains(node.rawRepresentation) }?.shard ?? 0,
      shardCount: api.shardCount, epoch: assignment.epoch, rblockHeight: rblockHeight, heights: heights,
      version: api.configuration.version)
  }
}
