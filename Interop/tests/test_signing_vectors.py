"""Checks Interop/vectors/signing.json with stock Python (protobuf, cryptography, hashlib): key
derivation and addresses, ids and hashes, Ed25519 signatures over domain || bytes (verified, and
reproduced byte for byte since Ed25519 is deterministic), the envelopes, and RFC 6962 Merkle roots and
inclusion proofs computed independently here."""

import hashlib
import json
import pathlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization
from google.protobuf import descriptor_pool, json_format, message_factory

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "Interop/vectors/signing.json").read_text(encoding="utf-8"))


def message_class(type_name):
    return message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(type_name))


def sha256(data):
    return hashlib.sha256(data).digest()


def raw_public(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("key", VECTORS["keys"], ids=lambda k: k["address"])
def test_keys_and_addresses(key):
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key["seed"]))
    assert raw_public(private).hex() == key["public_key"]
    assert sha256(bytes.fromhex(key["public_key"]))[:20].hex() == key["address"]


@pytest.mark.parametrize("vector", VECTORS["signed"], ids=lambda v: v["description"])
def test_signed_messages(proto_modules, vector):
    signed_bytes = bytes.fromhex(vector["hex"])
    # The signed bytes are the canonical encoding of the JSON form.
    message = json_format.Parse(vector["json"], message_class(vector["type"])())
    assert message.SerializeToString() == signed_bytes
    assert sha256(signed_bytes).hex() == vector["hash"]
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(vector["signer_seed"]))
    payload = vector["domain"].encode("ascii") + signed_bytes
    assert private.sign(payload).hex() == vector["signature"]
    private.public_key().verify(bytes.fromhex(vector["signature"]), payload)
    # A signature never validates in another role.
    with pytest.raises(Exception):
        private.public_key().verify(bytes.fromhex(vector["signature"]), b"sehc/v1/other" + signed_bytes)
    # The envelope carries exactly these bytes and this signature.
    envelope = message_class(vector["envelope_type"]).FromString(bytes.fromhex(vector["envelope_hex"]))
    if vector["envelope_type"] == "sehc.v1.SignedTransaction":
        assert envelope.body == signed_bytes
        assert envelope.signatures[0].signature.hex() == vector["signature"]
        assert envelope.signatures[0].public_key == raw_public(private)
        body = message_class("sehc.v1.TransactionBody").FromString(envelope.body)
        assert body.sender == sha256(raw_public(private))[:20]
    elif vector["envelope_type"] == "sehc.v1.TBlock":
        assert envelope.header == signed_bytes
        assert envelope.proposer_signature.signature.hex() == vector["signature"]
        header = message_class("sehc.v1.TBlockHeader").FromString(signed_bytes)
        assert merkle_root([bytes(e) for e in envelope.entries]) == header.entries_root
        assert header.entry_count == len(envelope.entries)
    else:
        assert envelope.body == signed_bytes
        assert envelope.signature.signature.hex() == vector["signature"]


def merkle_root(leaves):
    """RFC 6962 §2.1 Merkle Tree Hash, written independently of the Swift implementation."""
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:]))


def root_from_proof(leaf, index, size, path):
    """RFC 9162 §2.1.3.2 verification of an inclusion proof."""
    if index >= size:
        raise ValueError("index out of range")
    fn, sn = index, size - 1
    r = sha256(b"\x00" + leaf)
    for p in path:
        if sn == 0:
            raise ValueError("path too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


@pytest.mark.parametrize("tree", VECTORS["merkle_trees"], ids=lambda t: f"{len(t['leaves'])} leaves")
def test_merkle_trees(tree):
    leaves = [bytes.fromhex(l) for l in tree["leaves"]]
    assert merkle_root(leaves).hex() == tree["root"]
    assert [sha256(b"\x00" + l).hex() for l in leaves] == tree["leaf_hashes"]
    assert len(tree["proofs"]) == len(leaves)
    for proof in tree["proofs"]:
        path = [bytes.fromhex(p) for p in proof["path"]]
        leaf = leaves[proof["leaf_index"]]
        assert root_from_proof(leaf, proof["leaf_index"], proof["tree_size"], path).hex() == tree["root"]
        if path:
            tampered = [bytes([path[0][0] ^ 1]) + path[0][1:]] + path[1:]
            assert root_from_proof(leaf, proof["leaf_index"], proof["tree_size"], tampered).hex() != tree["root"]
