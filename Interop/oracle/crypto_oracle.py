#!/usr/bin/env python3
"""A reference oracle for ChainCrypto's differential tests, built on Python's `cryptography`
(its own OpenSSL build) and `hashlib`.

Reads one JSON object {"cases": [...]} on stdin and writes {"results": [...]} on stdout, one result
per case, in order. Every byte string is hex. Each case has an "op":

  ed25519_sign        seed, message            -> {"public": hex, "signature": hex}
  ed25519_verify      public, message, signature -> {"valid": bool}
  ed25519_pem         pem (PKCS#8 private key) -> {"public": hex, "pem": PKCS#8 PEM of a fresh key,
                                                   "pem_public": hex of that fresh key}
  aes_gcm_seal        key, nonce, plaintext, aad -> {"sealed": hex of ciphertext || tag}
  aes_gcm_open        key, nonce, sealed, aad  -> {"plaintext": hex or null when authentication fails}
  hkdf_sha256         ikm, salt, info, length  -> {"okm": hex}
  scrypt              password, salt, n, r, p, length -> {"key": hex}
  scrypt_string       password, encoded ("$scrypt$ln=..,r=..,p=..$salt$hash")
                                               -> {"valid": bool, "made": a new string for password}
  x25519              private, peer            -> {"public": hex, "shared": hex or null}
  sha256              data                     -> {"digest": hex}
  merkle              leaves (list of hex)     -> {"root": hex, "paths": [[hex, ...] per leaf]}

The test fails if this script and ChainCrypto disagree on any case.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

RAW = (serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def h(text):
    return bytes.fromhex(text)


def b64_decode(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def b64_encode(data):
    return base64.b64encode(data).decode().rstrip("=")


def scrypt_string_verify(password, encoded):
    _, scheme, params, salt, digest = encoded.split("$")
    assert scheme == "scrypt"
    values = dict(item.split("=") for item in params.split(","))
    salt, digest = b64_decode(salt), b64_decode(digest)
    n, r, p = 1 << int(values["ln"]), int(values["r"]), int(values["p"])
    derived = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=2**31 - 1)
    return derived == digest, (int(values["ln"]), r, p)


def merkle_root(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + merkle_root(leaves[:k]) + merkle_root(leaves[k:])).digest()


def merkle_path(m, leaves):
    if len(leaves) <= 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return merkle_path(m, leaves[:k]) + [merkle_root(leaves[k:])]
    return merkle_path(m - k, leaves[k:]) + [merkle_root(leaves[:k])]


def run(case):
    op = case["op"]
    if op == "ed25519_sign":
        key = Ed25519PrivateKey.from_private_bytes(h(case["seed"]))
        return {"public": key.public_key().public_bytes(*RAW).hex(), "signature": key.sign(h(case["message"])).hex()}
    if op == "ed25519_verify":
        try:
            Ed25519PublicKey.from_public_bytes(h(case["public"])).verify(h(case["signature"]), h(case["message"]))
            return {"valid": True}
        except InvalidSignature:
            return {"valid": False}
    if op == "ed25519_pem":
        key = serialization.load_pem_private_key(case["pem"].encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "public": key.public_key().public_bytes(*RAW).hex(),
            "pem": pem,
            "pem_public": fresh.public_key().public_bytes(*RAW).hex(),
        }
    if op == "aes_gcm_seal":
        sealed = AESGCM(h(case["key"])).encrypt(h(case["nonce"]), h(case["plaintext"]), h(case["aad"]) or None)
        return {"sealed": sealed.hex()}
    if op == "aes_gcm_open":
        try:
            plaintext = AESGCM(h(case["key"])).decrypt(h(case["nonce"]), h(case["sealed"]), h(case["aad"]) or None)
            return {"plaintext": plaintext.hex()}
        except InvalidTag:
            return {"plaintext": None}
    if op == "hkdf_sha256":
        okm = HKDF(hashes.SHA256(), case["length"], h(case["salt"]) or None, h(case["info"])).derive(h(case["ikm"]))
        return {"okm": okm.hex()}
    if op == "scrypt":
        key = Scrypt(h(case["salt"]), case["length"], case["n"], case["r"], case["p"]).derive(h(case["password"]))
        return {"key": key.hex()}
    if op == "scrypt_string":
        password = case["password"].encode()
        valid, (ln, r, p) = scrypt_string_verify(password, case["encoded"])
        salt = os.urandom(16)
        digest = hashlib.scrypt(password, salt=salt, n=1 << ln, r=r, p=p, dklen=32, maxmem=2**31 - 1)
        return {"valid": valid, "made": f"$scrypt$ln={ln},r={r},p={p}${b64_encode(salt)}${b64_encode(digest)}"}
    if op == "x25519":
        key = X25519PrivateKey.from_private_bytes(h(case["private"]))
        try:
            shared = key.exchange(X25519PublicKey.from_public_bytes(h(case["peer"]))).hex()
        except ValueError:
            shared = None
        return {"public": key.public_key().public_bytes(*RAW).hex(), "shared": shared}
    if op == "sha256":
        return {"digest": hashlib.sha256(h(case["data"])).hexdigest()}
    if op == "merkle":
        leaves = [h(leaf) for leaf in case["leaves"]]
        return {
            "root": merkle_root(leaves).hex(),
            "paths": [[node.hex() for node in merkle_path(i, leaves)] for i in range(len(leaves))],
        }
    raise ValueError(f"unknown op {op}")


def main():
    request = json.load(sys.stdin)
    json.dump({"results": [run(case) for case in request["cases"]]}, sys.stdout)


if __name__ == "__main__":
    main()
