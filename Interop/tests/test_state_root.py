"""Recomputes the ledger's state root (docs/ledger.md, "State root") from Interop/vectors/state_root.json
with nothing but hashlib: 4,096 buckets by the top 12 bits of SHA-256(key), an RFC 6962 tree per bucket
over its entries sorted by key (leaf data: 4-byte big-endian key length, key, value), and an RFC 6962
tree over the bucket roots. The Swift ledger checks the same vector (Tests/LedgerTests/StateRootTests)."""

import hashlib
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "Interop/vectors/state_root.json").read_text(encoding="utf-8"))


def sha256(data):
    return hashlib.sha256(data).digest()


def tree_hash(leaf_hashes):
    """RFC 6962 tree hash over leaf hashes (a node without a right sibling is carried up)."""
    if not leaf_hashes:
        return sha256(b"")
    level = list(leaf_hashes)
    while len(level) > 1:
        parents = [sha256(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            parents.append(level[-1])
        level = parents
    return level[0]


def state_root(entries):
    buckets = [[] for _ in range(4096)]
    for key, value in entries:
        digest = sha256(key)
        buckets[(digest[0] << 4) | (digest[1] >> 4)].append((key, value))
    roots = [
        tree_hash([sha256(b"\x00" + len(key).to_bytes(4, "big") + key + value) for key, value in sorted(bucket)])
        for bucket in buckets
    ]
    return tree_hash([sha256(b"\x00" + root) for root in roots])


def test_empty_state_root():
    assert state_root([]).hex() == VECTOR["empty_root"]


def test_state_root_of_the_vector():
    entries = [(bytes.fromhex(e["key"]), bytes.fromhex(e["value"])) for e in VECTOR["entries"]]
    assert VECTOR["buckets_with_several_entries"] > 0
    assert state_root(entries).hex() == VECTOR["root"]
    # Order of entries does not matter.
    assert state_root(list(reversed(entries))).hex() == VECTOR["root"]
