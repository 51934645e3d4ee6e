import ChainCrypto
import Foundation
import Testing
import Wire

@testable import Ledger

/// One test per stateless (form) rule: the transaction is rejected with the rule's code, and the
/// message says why.
@Suite struct TransactionFormTests {
  let net: TestNetwork
  let alice: Ed25519.PrivateKey

  init() throws {
    net = try TestNetwork()
    alice = net.newKey("alice", shard: 0)
  }

  func check(_ tx: SignedTransaction) -> Rejection? {
    do {
      _ = try TransactionChecks.check(tx, parameters: net.parameters)
      return nil
    } catch { return error }
  }

  func transfer(_ amount: UInt64 = 1, to recipient: Data? = nil) -> TransactionBody.Payload {
    .transfer(Transfer(recipient: recipient ?? net.hospital.address.rawRepresentation, amount: amount))
  }

  @Test func wellFormedTransactionPasses() {
    #expect(check(net.sign(alice, transfer())) == nil)
  }

  @Test func tooLarge() throws {
    var parameters = net.parameters
    parameters.maxTransactionBytes = 200
    let tx = net.sign(
      alice,
      .requestAccess(
        RequestAccess(patient: alice.address.rawRepresentation, reason: String(repeating: "x", count: 300))))
    #expect(throws: Rejection.self) { try TransactionChecks.check(tx, parameters: parameters) }
    do { _ = try TransactionChecks.check(tx, parameters: parameters) } catch {
      #expect(error.code == .tooLarge)
      #expect(error.message.contains("limit is 200"))
    }
  }

  @Test func malformedBody() {
    var tx = net.sign(alice, transfer())
    tx.body = Data([0xff, 0xff, 0xff])
    let rejection = check(tx)
    #expect(rejection?.code == .malformedBody)
  }

  @Test func wrongChain() {
    let rejection = check(net.sign(alice, transfer(), chainID: "other-chain"))
    #expect(rejection?.code == .wrongChain)
    #expect(rejection?.message.contains("other-chain") == true)
  }

  @Test func missingPayload() throws {
    let body = TransactionBody(chainID: net.chainID, sender: alice.address.rawRepresentation, nonce: 1)
    let bytes = try body.serializedData()
    let tx = SignedTransaction(
      body: bytes,
      signatures: [
        Signature(
          publicKey: alice.publicKey.rawRepresentation,
          signature: try alice.sign(domain: .transaction, message: bytes))
      ])
    #expect(check(tx)?.code == .missingPayload)
  }

  @Test func multiplePayloadsAreRejectedEvenThoughDecodersKeepOne() throws {
    // Two payload fields in the bytes: protobuf decoders keep the last one; the ledger refuses.
    let first = try TransactionBody(
      chainID: net.chainID, sender: alice.address.rawRepresentation, nonce: 1, payload: transfer()
    ).serializedData()
    let second = try TransactionBody(payload: .revokeAccess(RevokeAccess(grantID: Data(count: 32))))
      .serializedData()
    let bytes = first + second
    let tx = SignedTransaction(
      body: bytes,
      signatures: [
        Signature(
          publicKey: alice.publicKey.rawRepresentation,
          signature: try alice.sign(domain: .transaction, message: bytes))
      ])
    let rejection = check(tx)
    #expect(rejection?.code == .multiplePayloads)
    #expect(rejection?.message.contains("16, 18") == true || rejection?.message.contains("18, 16") == true)
  }

  @Test func noSignature() {
    var tx = net.sign(alice, transfer())
    tx.signatures = []
    #expect(check(tx)?.code == .noSignature)
  }

  @Test func tooManySignatures() {
    var tx = net.sign(alice, transfer())
    tx.signatures = Array(repeating: tx.signatures[0], count: 5)
    #expect(check(tx)?.code == .tooManySignatures)
  }

  @Test func malformedSignatureLength() {
    var tx = net.sign(alice, transfer())
    tx.signatures[0].signature = Data(count: 63)
    let rejection = check(tx)
    #expect(rejection?.code == .malformedSignature)
    #expect(rejection?.message.contains("63 bytes") == true)
  }

  @Test func malformedPublicKey() {
    var tx = net.sign(alice, transfer())
    tx.signatures[0].publicKey = Data(count: 31)
    #expect(check(tx)?.code == .malformedSignature)
  }

  @Test func badSignature() {
    var tx = net.sign(alice, transfer())
    tx.signatures[0].signature[5] ^= 1
    let rejection = check(tx)
    #expect(rejection?.code == .badSignature)
    #expect(rejection?.message.contains("signatures[0]") == true)
  }

  @Test func signatureInAnotherDomainIsBad() throws {
    var tx = net.sign(alice, transfer())
    tx.signatures[0].signature = try alice.sign(domain: .vote, message: tx.body)
    #expect(check(tx)?.code == .badSignature)
  }

  @Test func senderMismatch() {
    var tx = net.sign(alice, transfer())
    let mallory = TestKeys.key("mallory")
    tx.signatures[0] = Signature(
      publicKey: mallory.publicKey.rawRepresentation,
      signature: try! mallory.sign(domain: .transaction, message: tx.body))
    let rejection = check(tx)
    #expect(rejection?.code == .senderMismatch)
    #expect(rejection?.message.contains(mallory.address.hex) == true)
  }

  @Test func duplicateSigner() {
    let tx = net.sign(
      alice, .registerParticipant(RegisterParticipant(role: .patient, organisation: "o")), cosigner: alice)
    #expect(check(tx)?.code == .duplicateSigner)
  }

  @Test func missingCosignature() {
    let tx = net.sign(alice, .registerParticipant(RegisterParticipant(role: .patient, organisation: "o")))
    #expect(check(tx)?.code == .missingCosignature)
  }

  @Test func unexpectedCosignature() {
    let tx = net.sign(alice, transfer(), cosigner: net.admin)
    #expect(check(tx)?.code == .unexpectedCosignature)
  }

  @Test func invalidAddress() {
    let tx = net.sign(alice, .transfer(Transfer(recipient: Data(count: 19), amount: 1)))
    let rejection = check(tx)
    #expect(rejection?.code == .invalidAddress)
    #expect(rejection?.message.hasPrefix("transfer.recipient") == true)
  }

  @Test func invalidID() {
    let tx = net.sign(alice, .revokeAccess(RevokeAccess(grantID: Data(count: 31))))
    #expect(check(tx)?.code == .invalidID)
  }

  @Test func invalidTextKinds() {
    let patient = alice.address.rawRepresentation
    let manifest = TestNetwork.manifest(Data("x".utf8))
    let bad: [TransactionBody.Payload] = [
      .putRecord(PutRecord(patient: patient, kind: "Lab Report", mediaType: "text/plain", content: manifest)),
      .putRecord(PutRecord(patient: patient, kind: "", mediaType: "text/plain", content: manifest)),
      .putRecord(PutRecord(patient: patient, kind: "lab", mediaType: "textplain", content: manifest)),
      .putImageManifest(
        PutImageManifest(
          patient: patient, kind: "xray", mediaType: "image/png", content: manifest, modality: "ct")),
      .putImageManifest(
        PutImageManifest(
          patient: patient, kind: "xray", mediaType: "image/png", content: manifest, studyInstanceUID: "1.2.x"
        )),
      .requestAccess(RequestAccess(patient: patient, reason: "")),
      .registerParticipant(RegisterParticipant(role: .patient, organisation: "")),
      .eraseRecord(
        EraseRecord(recordID: Data(count: 32), reason: String(repeating: "r", count: 513), patient: patient)),
    ]
    for payload in bad {
      let tx = net.sign(
        alice, payload, cosigner: TransactionKind(payload).needsCosignature ? net.hospital : nil)
      #expect(check(tx)?.code == .invalidText, "\(payload)")
    }
  }

  @Test func invalidRole() {
    let tx = net.sign(
      alice, .registerParticipant(RegisterParticipant(role: .unspecified, organisation: "o")),
      cosigner: net.hospital)
    #expect(check(tx)?.code == .invalidRole)
  }

  @Test func invalidKey() {
    let tx = net.sign(
      alice,
      .registerParticipant(
        RegisterParticipant(role: .patient, organisation: "o", encryptionKey: Data(count: 16))),
      cosigner: net.hospital)
    #expect(check(tx)?.code == .invalidKey)
  }

  @Test func invalidManifest() {
    var manifest = TestNetwork.manifest(Data(repeating: 7, count: 3 << 20))
    let patient = alice.address.rawRepresentation
    func rejected(_ m: BlobManifest?) -> Rejection? {
      check(net.sign(alice, .putRecord(PutRecord(patient: patient, kind: "k", mediaType: "a/b", content: m))))
    }
    #expect(rejected(manifest) == nil)
    #expect(rejected(nil)?.code == .invalidManifest)
    var broken = manifest
    broken.chunkSize = 4096
    #expect(rejected(broken)?.message.contains("chunk_size") == true)
    broken = manifest
    broken.chunkHashes.removeLast()
    #expect(rejected(broken)?.message.contains("need 3 chunk hashes") == true)
    broken = manifest
    broken.merkleRoot[0] ^= 1
    #expect(rejected(broken)?.message.contains("merkle_root") == true)
    broken = manifest
    broken.totalSize = 0
    #expect(rejected(broken)?.code == .invalidManifest)
    manifest.contentHash = Data(count: 3)
    #expect(rejected(manifest)?.message.contains("content_hash") == true)
  }

  @Test func invalidMetadata() {
    let patient = alice.address.rawRepresentation
    let manifest = TestNetwork.manifest(Data("x".utf8))
    func rejected(_ metadata: [Attribute]) -> Rejection? {
      check(
        net.sign(
          alice,
          .putRecord(
            PutRecord(patient: patient, kind: "k", mediaType: "a/b", content: manifest, metadata: metadata))))
    }
    #expect(rejected([Attribute(key: "a", value: "1"), Attribute(key: "b", value: "2")]) == nil)
    #expect(
      rejected([Attribute(key: "b", value: "1"), Attribute(key: "a", value: "2")])?.code == .invalidMetadata)
    #expect(
      rejected([Attribute(key: "a", value: "1"), Attribute(key: "a", value: "2")])?.message.contains(
        "sorted and unique") == true)
    #expect(rejected([Attribute(key: "", value: "1")])?.code == .invalidMetadata)
    #expect(
      rejected([Attribute(key: "a", value: String(repeating: "v", count: 1025))])?.code == .invalidMetadata)
    #expect(
      rejected((0..<33).map { Attribute(key: String(format: "k%02d", $0), value: "") })?.code
        == .invalidMetadata)
  }

  @Test func zeroAmount() {
    #expect(check(net.sign(alice, transfer(0)))?.code == .zeroAmount)
  }

  @Test func selfTransfer() {
    #expect(check(net.sign(alice, transfer(1, to: alice.address.rawRepresentation)))?.code == .selfTransfer)
  }

  @Test func selfGrant() {
    let tx = net.sign(alice, .grantAccess(GrantAccess(grantee: alice.address.rawRepresentation)))
    #expect(check(tx)?.code == .selfGrant)
  }

  @Test func malformedEntryInABlock() throws {
    let verdicts = try net.verdicts([Data([0x08, 0x01]), Data()], shard: 0)
    #expect(verdicts.map { $0.rejection?.code } == [.malformedEntry, .malformedEntry])
  }

  @Test func entryWithBothMembersIsMalformed() throws {
    let tx = TestNetwork.entry(net.sign(alice, transfer()))
    let receipt = TestNetwork.entry(Receipt(kind: .apply))
    #expect(try net.verdicts([tx + receipt], shard: 0)[0].rejection?.code == .malformedEntry)
  }

  @Test func rejectionDescriptionIsCodeThenMessage() {
    #expect(
      Rejection(.badNonce, "expected nonce 4, got 6").description == "bad_nonce: expected nonce 4, got 6")
  }
}
