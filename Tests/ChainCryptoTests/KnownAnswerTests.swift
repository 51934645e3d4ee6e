import Foundation
import Testing

@testable import ChainCrypto

/// Published test vectors. Each was also checked against Python's `cryptography`/`hashlib` when it
/// was written down.
@Suite("Known-answer vectors")
struct KnownAnswerTests {
  // MARK: SHA-256 (FIPS 180-4 examples, NIST CSRC "SHA256.pdf" and "SHA2_Additional")

  @Test(
    "SHA-256: FIPS 180 examples",
    arguments: [
      ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
      (
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
      ),
    ])
  func sha256(message: String, digest: String) {
    #expect(SHA256.hash(Data(message.utf8)).hex == digest)
  }

  @Test("SHA-256: one million 'a', streamed in uneven pieces")
  func sha256Million() {
    var hasher = SHA256Hasher()
    var remaining = 1_000_000
    var piece = 1
    while remaining > 0 {
      let n = min(piece, remaining)
      hasher.update(Data(repeating: 0x61, count: n))
      remaining -= n
      piece = piece * 3 + 1
    }
    #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    #expect(
      SHA256.hash(Data(repeating: 0x61, count: 1_000_000)).hex
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  // MARK: Ed25519 (RFC 8032 §7.1)

  struct Ed25519Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var secret: String
    var publicKey: String
    var message: String
    var signature: String
    var testDescription: String { name }
  }

  static let rfc8032: [Ed25519Vector] = [
    Ed25519Vector(
      name: "TEST 1 (empty message)",
      secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
      publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
      message: "",
      signature:
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    ),
    Ed25519Vector(
      name: "TEST 2 (one byte)",
      secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
      publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
      message: "72",
      signature:
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    ),
    Ed25519Vector(
      name: "TEST 3 (two bytes)",
      secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
      publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
      message: "af82",
      signature:
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
    ),
    Ed25519Vector(
      name: "TEST 1024 (1023-byte message)",
      secret: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
      publicKey: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
      message: """
        08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98fa6e264bf09efe12ee50f8f54e9f77b1\
        e355f6c50544e23fb1433ddf73be84d879de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d\
        658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc1a858efcb8550ee3a5e1998bd177e93a\
        7363c344fe6b199ee5d02e82d522c4feba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e\
        06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbefefd75499da96bd68a8a97b928a8bbc10\
        3b6621fcde2beca1231d206be6cd9ec7aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1\
        85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2d17ba70eb6248e594e1a2297acbbb39d\
        502f1a8c6eb6f1ce22b3de1a1f40cc24554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270\
        88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc2732e69485bbc9c90bfbd62481d9089b\
        eccf80cfe2df16a2cf65bd92dd597b0707e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba\
        b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51addd3b75a2b1ae0784504df543af8969b\
        e3ea7082ff7fc9888c144da2af58429ec96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7\
        51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c42f58c30c04aafdb038dda0847dd988d\
        cda6f3bfd15c4b4c4525004aa06eeff8ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df\
        f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08d78ff4ef5d63653a65040cf9bfd4aca7\
        984a74d37145986780fc0b16ac451649de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4\
        88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a32ef5b52a1ecc820e308aa342721aac09\
        43bf6686b64b2579376504ccc493d97e6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f\
        b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b50d334ba77c225bc307ba537152f3f161\
        0e4eafe595f6d9d90d11faa933a15ef1369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d\
        b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c0618983f8741c5ef68d3a101e8a3b8ca\
        c60c905c15fc910840b94c00a0b9d0
        """,
      signature:
        "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03"
    ),
    Ed25519Vector(
      name: "TEST SHA(abc) (64-byte message)",
      secret: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
      publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
      message:
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
      signature:
        "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"
    ),
  ]

  @Test("Ed25519: RFC 8032 §7.1", arguments: rfc8032)
  func ed25519(vector: Ed25519Vector) throws {
    let message = hex(vector.message)
    let key = try Ed25519.PrivateKey(rawRepresentation: hex(vector.secret))
    #expect(key.publicKey.rawRepresentation.hex == vector.publicKey)
    #expect(try key.rawRepresentation.hex == vector.secret)
    let signature = try key.signature(for: message)
    #expect(signature.hex == vector.signature)
    let publicKey = try Ed25519.PublicKey(rawRepresentation: hex(vector.publicKey))
    #expect(publicKey.isValidSignature(hex(vector.signature), for: message))
  }

  @Test("Ed25519: TEST 1024's message is 1023 bytes")
  func ed25519LongMessageLength() {
    #expect(hex(Self.rfc8032[3].message).count == 1023)
  }

  // MARK: HKDF (RFC 5869 Appendix A, test cases 1-3)

  @Test(
    "HKDF-SHA256: RFC 5869 A.1-A.3",
    arguments: [
      (
        hex(String(repeating: "0b", count: 22)), hex("000102030405060708090a0b0c"),
        hex("f0f1f2f3f4f5f6f7f8f9"), 42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
      ),
      (
        Data(0x00...0x4f), Data(0x60...0xaf), Data(0xb0...0xff), 82,
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
      ),
      (
        hex(String(repeating: "0b", count: 22)), Data(), Data(), 42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
      ),
    ])
  func hkdf(ikm: Data, salt: Data, info: Data, length: Int, okm: String) throws {
    let key = try HKDF.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, outputByteCount: length)
    #expect(key.dataRepresentation.hex == okm)
  }

  // MARK: scrypt (RFC 7914 §12; the fourth vector needs 1 GiB and is left out)

  @Test(
    "scrypt: RFC 7914 §12",
    arguments: [
      (
        "", "", UInt64(16), UInt32(1), UInt32(1),
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
      ),
      (
        "password", "NaCl", 1024, 8, 16,
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
      ),
      (
        "pleaseletmein", "SodiumChloride", 16384, 8, 1,
        "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"
      ),
    ])
  func scrypt(password: String, salt: String, n: UInt64, r: UInt32, p: UInt32, expected: String) throws {
    let key = try Scrypt.deriveKey(
      password: Data(password.utf8), salt: Data(salt.utf8), n: n, r: r, p: p, outputByteCount: 64)
    #expect(key.hex == expected)
  }

  // MARK: AES-256-GCM (McGrew & Viega, "The Galois/Counter Mode of Operation", test cases 13-16)

  static let gcmKey = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
  static let gcmNonce = hex("cafebabefacedbaddecaf888")
  static let gcmPlaintext = hex(
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
  )
  static let gcmCiphertext = hex(
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
  )

  @Test(
    "AES-256-GCM: GCM spec test cases 13-16",
    arguments: [
      (Data(count: 32), Data(count: 12), Data(), Data(), Data(), "530f8afbc74536b9a963b4f1c4cb738b"),
      (
        Data(count: 32), Data(count: 12), Data(count: 16), Data(), hex("cea7403d4d606b6e074ec5d3baf39d18"),
        "d0d1c8a799996bf0265b98b5d48ab919"
      ),
      (gcmKey, gcmNonce, gcmPlaintext, Data(), gcmCiphertext, "b094dac5d93471bdec1a502270e3cc6c"),
      (
        gcmKey, gcmNonce, gcmPlaintext.prefix(60), hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
        gcmCiphertext.prefix(60),
        "76fc6ece0f4e1768cddf8853bb2d551b"
      ),
    ])
  func aesGCM(key: Data, nonce: Data, plaintext: Data, aad: Data, ciphertext: Data, tag: String) throws {
    let key = SymmetricKey(data: key)
    let box = try AES256GCM.seal(plaintext, using: key, nonce: nonce, authenticating: aad)
    #expect(box.ciphertext == ciphertext)
    #expect(box.tag.hex == tag)
    #expect(try AES256GCM.open(box, using: key, authenticating: aad) == plaintext)
  }

  // MARK: X25519 (RFC 7748 §5.2 and §6.1)

  @Test(
    "X25519: RFC 7748 §5.2 scalar multiplication",
    arguments: [
      (
        "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
      ),
      (
        "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
      ),
    ])
  func x25519(scalar: String, u: String, output: String) throws {
    let key = try X25519.PrivateKey(rawRepresentation: hex(scalar))
    let secret = try key.sharedSecret(with: X25519.PublicKey(rawRepresentation: hex(u)))
    #expect(secret.dataRepresentation.hex == output)
  }

  @Test("X25519: RFC 7748 §6.1 Diffie-Hellman")
  func x25519DiffieHellman() throws {
    let alice = try X25519.PrivateKey(
      rawRepresentation: hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    let bob = try X25519.PrivateKey(
      rawRepresentation: hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
    #expect(
      alice.publicKey.rawRepresentation.hex
        == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    #expect(
      bob.publicKey.rawRepresentation.hex
        == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    #expect(try alice.sharedSecret(with: bob.publicKey).dataRepresentation.hex == shared)
    #expect(try bob.sharedSecret(with: alice.publicKey).dataRepresentation.hex == shared)
  }

  // MARK: Merkle trees (RFC 6962; the certificate-transparency reference implementation's vectors)

  static let merkleLeaves = [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
  ].map(hex)
  static let merkleRoots = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
  ]

  @Test("Merkle: RFC 6962 roots of the CT test tree, sizes 0 to 8")
  func merkleRoots() {
    #expect(
      MerkleTree(leaves: []).root.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    for size in 1...8 {
      #expect(
        MerkleTree(leaves: Array(Self.merkleLeaves.prefix(size))).root.hex == Self.merkleRoots[size - 1])
    }
  }

  @Test("Merkle: RFC 6962 inclusion proofs of the CT test tree")
  func merkleProofs() throws {
    let tree = MerkleTree(leaves: Self.merkleLeaves)
    let proof = try tree.inclusionProof(forLeafAt: 5)
    #expect(
      proof.auditPath.map(\.hex) == [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      ])
    #expect(proof.verify(leaf: Self.merkleLeaves[5], root: try SHA256Digest(hex: Self.merkleRoots[7])))
    var wrongIndex = proof
    wrongIndex.leafIndex = 4
    #expect(!wrongIndex.verify(leaf: Self.merkleLeaves[5], root: try SHA256Digest(hex: Self.merkleRoots[7])))

    let small = try MerkleTree(leaves: Array(Self.merkleLeaves.prefix(3))).inclusionProof(forLeafAt: 2)
    #expect(small.auditPath.map(\.hex) == [Self.merkleRoots[1]])
    #expect(small.verify(leaf: Self.merkleLeaves[2], root: try SHA256Digest(hex: Self.merkleRoots[2])))
  }
}
