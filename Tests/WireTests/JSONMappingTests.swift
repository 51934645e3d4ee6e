import Foundation
import Testing
import Wire

/// The proto3 JSON mapping beyond the vectors: what the reader accepts and how it fails.
struct JSONMappingTests {
  func expectJSONError<M: WireMessage>(
    _ code: WireError.Code, _ json: String, as type: M.Type, sourceLocation: SourceLocation = #_sourceLocation
  ) -> WireError? {
    do {
      _ = try M(jsonString: json)
      Issue.record("decoding succeeded, expected \(code)", sourceLocation: sourceLocation)
    } catch let error as WireError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      return error
    } catch {
      Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
  }

  @Test func acceptsJSONNamesProtoNamesStringsAndNumbers() throws {
    let a = try TransactionBody(
      jsonString: #"{"chainId":"x","nonce":"18446744073709551615","createdAtMs":5}"#)
    let b = try TransactionBody(
      jsonString: #"{"chain_id":"x","nonce":18446744073709551615,"created_at_ms":"5"}"#)
    #expect(a == b)
    #expect(a.nonce == UInt64.max)
    #expect(a.createdAtMs == 5)
  }

  @Test func acceptsEnumNamesAndNumbersAndBase64Variants() throws {
    let a = try Participant(jsonString: #"{"role":"ROLE_ADMIN","address":"+/8="}"#)
    let b = try Participant(jsonString: #"{"role":6,"address":"-_8"}"#)
    #expect(a == b)
    #expect(a.role == .admin)
    #expect(a.address == Data([0xFB, 0xFF]))
  }

  @Test func nullLeavesDefaults() throws {
    let message = try TBlock(jsonString: #"{"header":null,"entries":null,"certificate":null}"#)
    #expect(message == TBlock())
  }

  @Test func writesDefaultsOfOneofMembers() throws {
    var message = TransactionBody()
    message.payload = .transfer(Transfer())
    #expect(message.jsonString() == #"{"transfer":{}}"#)
  }

  @Test func prettyOutputMatchesPythonMessageToJson() {
    let message = Attribute(key: "k", value: "v")
    #expect(message.jsonString(pretty: true) == "{\n  \"key\": \"k\",\n  \"value\": \"v\"\n}")
    #expect(WhoAmIRequest().jsonString(pretty: true) == "{}")
  }

  @Test func unknownFieldIsAnError() {
    let error = expectJSONError(.unknownField, #"{"chainId":"x","color":"red"}"#, as: TransactionBody.self)
    #expect(error?.description == #"sehc.v1.TransactionBody: no field named "color""#)
  }

  @Test func fieldGivenUnderBothNamesIsAnError() {
    _ = expectJSONError(.duplicateField, #"{"chainId":"x","chain_id":"y"}"#, as: TransactionBody.self)
  }

  @Test func twoMembersOfOneOneofIsAnError() {
    _ = expectJSONError(.duplicateField, #"{"transfer":{},"grantAccess":{}}"#, as: TransactionBody.self)
  }

  @Test func duplicateKeyIsInvalidJSON() {
    _ = expectJSONError(.invalidJSON, #"{"nonce":1,"nonce":2}"#, as: TransactionBody.self)
  }

  @Test func outOfRangeAndNonIntegerNumbersAreRejected() {
    let error = expectJSONError(.invalidValue, #"{"shard":4294967296}"#, as: BlockRef.self)
    #expect(error?.fieldPath == ["shard"])
    _ = expectJSONError(.invalidValue, #"{"shard":1.5}"#, as: BlockRef.self)
    _ = expectJSONError(.invalidValue, #"{"shard":"-1"}"#, as: BlockRef.self)
    #expect((try? BlockRef(jsonString: #"{"shard":2e0}"#))?.shard == 2)
  }

  @Test func wrongValueTypesAreRejectedWithThePath() {
    let error = expectJSONError(.invalidValue, #"{"certificate":{"votes":[{},{"body":5}]}}"#, as: TBlock.self)
    #expect(error?.fieldPath == ["certificate", "votes[1]", "body"])
  }

  @Test func badBase64AndUnknownEnumNamesAreRejected() {
    _ = expectJSONError(.invalidValue, #"{"address":"!!!"}"#, as: Participant.self)
    _ = expectJSONError(.invalidValue, #"{"role":"ROLE_WIZARD"}"#, as: Participant.self)
  }

  @Test func malformedJSONIsRejected() {
    for text in ["", "{", #"{"a":}"#, "[1,2]", #"{"chainId":"\ud800"}"#, #"{"chainId":"x"} trailing"#] {
      do {
        _ = try TransactionBody(jsonString: text)
        Issue.record("accepted \(text)")
      } catch let error as WireError {
        #expect([.invalidJSON, .invalidValue].contains(error.code), "\(text): \(error)")
      } catch {
        Issue.record("unexpected \(error)")
      }
    }
  }

  @Test func deeplyNestedJSONIsRejected() {
    let text = String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000)
    _ = expectJSONError(.invalidJSON, text, as: TransactionBody.self)
  }

  @Test func escapesControlCharactersLikePython() {
    #expect(Attribute(key: "a\u{1}\u{7F}\n\"\\/é").jsonString() == #"{"key":"a\u0001\#u{7F}\n\"\\/é"}"#)
  }
}
