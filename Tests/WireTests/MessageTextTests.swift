import Foundation
import Testing
import Wire

/// `MessageText`: the text `sehc client` prints for people.
@Suite struct MessageTextTests {
  @Test func fieldsInSchemaOrderWithBytesInHexAndNestedItemsIndented() {
    var info = NodeInfo()
    info.version = "0.1.0"
    info.chainID = "sehc-devnet"
    info.validator = Data([0x00, 0xAB, 0xFF])
    info.rblockHeight = 12
    var first = ShardHeight()
    first.shard = 0
    first.height = 7
    var second = ShardHeight()
    second.shard = 1
    second.height = 9
    info.heights = [first, second]
    #expect(
      MessageText.render(info) == """
        chainId: sehc-devnet
        validator: 00abff
        rblockHeight: 12
        heights:
          - height: 7
          - shard: 1
            height: 9
        version: 0.1.0
        """)
  }

  @Test func booleansRepeatedBytesAndTheEmptyMessage() {
    var session = UploadSession()
    session.complete = true
    session.chunkSize = 1_048_576
    #expect(MessageText.render(session) == "chunkSize: 1048576\ncomplete: true")
    var manifest = BlobManifest()
    manifest.chunkHashes = [Data([1, 2]), Data([3])]
    #expect(MessageText.render(manifest) == "chunkHashes:\n  - 0102\n  - 03")
    #expect(MessageText.render(NodeInfo()) == "(empty)")
  }
}
