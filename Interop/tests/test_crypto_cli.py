"""Interop tests for `sehc keygen`, `sehc ca init` and `sehc cert ...`: the files they write are read
by Python's `cryptography`, pass `openssl verify`, and work for TLS in Python's `ssl` module (mutual
TLS 1.3, both directions) and in grpcio (a secure channel to a grpcio server with generic handlers).

The binary comes from $SEHC_BIN_DIR (set by Tools/scripts/test.sh), else .build/debug.
"""
import hashlib
import json
import os
import pathlib
import socket
import ssl
import stat
import subprocess
import threading
from concurrent import futures

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN_DIR = pathlib.Path(os.environ.get("SEHC_BIN_DIR", ROOT / ".build" / "debug"))
SEHC = BIN_DIR / "sehc"


def sehc(*args, check=True):
    result = subprocess.run([str(SEHC), *map(str, args)], capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"sehc {' '.join(map(str, args))} failed: {result.stderr}")
    return result


def openssl_verify(ca, cert, *extra):
    return subprocess.run(
        ["openssl", "verify", "-x509_strict", *extra, "-CAfile", str(ca), str(cert)], capture_output=True, text=True
    )


def address_of(public_key):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:20].hex()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA with node and client certificates, made by the CLI."""
    if not SEHC.exists():
        pytest.fail(f"{SEHC} not found: build it with `swift build` or run make test")
    base = tmp_path_factory.mktemp("pki")
    ca = base / "ca"
    certs = base / "certs"
    sehc("ca", "init", "--dir", ca, "--name", "Interop Test CA", "--organization", "Interop")
    sehc("cert", "issue", "--ca", ca, "--node", "--name", "node-a", "--host", "localhost", "--host", "127.0.0.1",
         "--out", certs)
    sehc("cert", "issue", "--ca", ca, "--node", "--name", "node-b", "--host", "localhost", "--out", certs)
    sehc("cert", "issue", "--ca", ca, "--node", "--name", "gateway", "--key-type", "p256", "--host", "localhost",
         "--host", "::1", "--out", certs)
    sehc("cert", "issue", "--ca", ca, "--client", "--name", "alice", "--out", certs)
    sehc("cert", "issue", "--ca", ca, "--client", "--name", "bob", "--key-type", "p256", "--out", certs)
    return {"ca": ca / "ca.pem", "ca_key": ca / "ca.key", "dir": ca, "certs": certs, "base": base}


def load(pki, name):
    cert = x509.load_pem_x509_certificate((pki["certs"] / f"{name}.pem").read_bytes())
    key = serialization.load_pem_private_key((pki["certs"] / f"{name}.key").read_bytes(), password=None)
    return cert, key


# MARK: keygen


def test_keygen_writes_0600_pem_and_prints_its_address(tmp_path):
    path = tmp_path / "node.key"
    result = sehc("keygen", "--out", path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert result.stdout.strip() == address_of(key.public_key())

    again = sehc("keygen", "--out", path, check=False)
    assert again.returncode != 0
    assert again.stderr.count("\n") == 1 and "--force" in again.stderr
    assert serialization.load_pem_private_key(path.read_bytes(), password=None).public_key() == key.public_key()

    replaced = sehc("keygen", "--out", path, "--force")
    assert replaced.stdout.strip() != result.stdout.strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_ca_certifies_a_public_key_without_seeing_the_private_key(pki, tmp_path):
    key, public = tmp_path / "node-9.key", tmp_path / "node-9.pub"
    address = sehc("keygen", "--out", key, "--public-out", public).stdout.strip()
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    mine = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert serialization.load_pem_public_key(public.read_bytes()) == mine.public_key()
    assert address == address_of(mine.public_key())

    out = tmp_path / "issued"
    sehc("cert", "issue", "--ca", pki["dir"], "--node", "--name", "node-9", "--public-key", public,
         "--host", "10.0.0.9", "--out", out)
    cert = x509.load_pem_x509_certificate((out / "node-9.pem").read_bytes())
    assert cert.public_key() == mine.public_key()
    assert not (out / "node-9.key").exists()
    uid = cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value
    assert uid == address

    client_key, client_public = tmp_path / "node-9-client.key", tmp_path / "node-9-client.pub"
    printed = sehc("keygen", "--key-type", "p256", "--out", client_key, "--public-out", client_public)
    assert printed.stdout == "", "a P-256 key has no address"
    assert isinstance(serialization.load_pem_private_key(client_key.read_bytes(), password=None),
                      ec.EllipticCurvePrivateKey)
    sehc("cert", "issue", "--ca", pki["dir"], "--node", "--name", "node-9-client", "--public-key",
         client_public, "--host", "node-9.example.org", "--out", out)
    assert isinstance(x509.load_pem_x509_certificate((out / "node-9-client.pem").read_bytes()).public_key(),
                      ec.EllipticCurvePublicKey)

    both = sehc("cert", "issue", "--ca", pki["dir"], "--client", "--name", "x", "--key", key, "--public-key",
                public, "--out", out, check=False)
    assert both.returncode != 0 and "not both" in both.stderr
    not_pem = tmp_path / "garbage.pub"
    not_pem.write_text("not a key\n")
    refused = sehc("cert", "issue", "--ca", pki["dir"], "--client", "--name", "x", "--public-key", not_pem,
                   "--out", out, check=False)
    assert refused.returncode != 0 and str(not_pem) in refused.stderr
    assert not (out / "x.pem").exists()
    same = sehc("keygen", "--out", key, "--public-out", key, check=False)
    assert same.returncode != 0 and "--public-out" in same.stderr


def test_a_key_that_others_can_read_is_refused_with_the_fix(pki, tmp_path):
    key = tmp_path / "loose.key"
    sehc("keygen", "--out", key)
    key.chmod(0o644)
    result = sehc("cert", "issue", "--ca", pki["dir"], "--node", "--name", "n", "--key", key, "--out", tmp_path,
                  check=False)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert f"chmod 600 {key}" in result.stderr
    key.chmod(0o600)
    sehc("cert", "issue", "--ca", pki["dir"], "--node", "--name", "n", "--key", key, "--out", tmp_path)
    cert = x509.load_pem_x509_certificate((tmp_path / "n.pem").read_bytes())
    mine = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert cert.public_key() == mine.public_key()
    assert not (tmp_path / "n.key").exists(), "an existing key is certified in place, not copied"


def test_command_line_errors_are_one_line(pki, tmp_path):
    for args in (
        ["cert", "issue", "--ca", tmp_path / "nothing", "--node", "--name", "n", "--out", tmp_path],
        ["cert", "issue", "--ca", pki["dir"], "--client", "--name", "c", "--host", "x", "--out", tmp_path],
        ["cert", "issue", "--ca", pki["dir"], "--node", "--name", "../escape", "--out", tmp_path],
        ["cert", "issue", "--ca", pki["dir"], "--node", "--name", "n", "--host", "bad host", "--out", tmp_path],
        ["cert", "show", tmp_path / "missing.pem"],
        ["ca", "init", "--dir", pki["dir"]],
    ):
        result = sehc(*args, check=False)
        assert result.returncode != 0, args
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: "), (args, result.stderr)


# MARK: certificates as other tools read them


def test_certificates_pass_openssl_verify(pki):
    ca_key = pki["ca_key"]
    assert stat.S_IMODE(ca_key.stat().st_mode) == 0o600
    for name, purpose in (("node-a", "sslserver"), ("node-a", "sslclient"), ("gateway", "sslserver"),
                          ("alice", "sslclient"), ("bob", "sslclient")):
        result = openssl_verify(pki["ca"], pki["certs"] / f"{name}.pem", "-purpose", purpose)
        assert result.returncode == 0 and result.stdout.strip().endswith(": OK"), (name, purpose, result.stderr)
        assert stat.S_IMODE((pki["certs"] / f"{name}.key").stat().st_mode) == 0o600
    # A client certificate is not a server certificate.
    assert openssl_verify(pki["ca"], pki["certs"] / "alice.pem", "-purpose", "sslserver").returncode != 0


def test_profiles_as_cryptography_reads_them(pki):
    ca = x509.load_pem_x509_certificate(pki["ca"].read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert isinstance(ca.public_key(), ed25519.Ed25519PublicKey)
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value

    cert, key = load(pki, "node-a")
    uid = cert.subject.get_attributes_for_oid(NameOID.USER_ID)[0].value
    assert uid == address_of(key.public_key())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "node-a"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cert.verify_directly_issued_by(ca)

    bob, bob_key = load(pki, "bob")
    assert isinstance(bob_key, ec.EllipticCurvePrivateKey) and bob_key.curve.name == "secp256r1"
    assert list(bob.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert not bob.subject.get_attributes_for_oid(NameOID.USER_ID)
    bob.verify_directly_issued_by(ca)


def test_cert_show(pki):
    cert, key = load(pki, "node-a")
    shown = json.loads(sehc("cert", "show", "--json", pki["certs"] / "node-a.pem").stdout)
    assert shown["validatorId"] == address_of(key.public_key())
    assert shown["keyType"] == "Ed25519" and shown["profile"] == "node"
    assert shown["dnsNames"] == ["localhost"] and shown["ipAddresses"] == ["127.0.0.1"]
    assert shown["subject"] == f"CN=node-a, UID={shown['validatorId']}"
    assert shown["fingerprintSha256"] == hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert shown["notAfter"] == cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = sehc("cert", "show", pki["certs"] / "gateway.pem").stdout
    assert "ECDSA P-256" in text and "localhost" in text and "::1" in text


def test_tampered_and_foreign_certificates_are_refused(pki, tmp_path):
    der = bytearray(x509.load_pem_x509_certificate((pki["certs"] / "node-a.pem").read_bytes())
                    .public_bytes(serialization.Encoding.DER))
    index = der.find(b"node-a")
    der[index + 5] = ord("z")
    tampered = tmp_path / "tampered.pem"
    tampered.write_bytes(x509.load_der_x509_certificate(bytes(der)).public_bytes(serialization.Encoding.PEM))
    assert openssl_verify(pki["ca"], tampered).returncode != 0
    result = sehc("cert", "verify", "--ca", pki["dir"], tampered, check=False)
    assert result.returncode != 0 and "bad signature" in result.stderr

    other = tmp_path / "other"
    sehc("ca", "init", "--dir", other, "--name", "Interop Test CA", "--organization", "Interop")
    sehc("cert", "issue", "--ca", other, "--node", "--name", "rogue", "--out", tmp_path)
    assert openssl_verify(pki["ca"], tmp_path / "rogue.pem").returncode != 0
    result = sehc("cert", "verify", "--ca", pki["dir"], tmp_path / "rogue.pem", check=False)
    assert result.returncode != 0 and "not issued by the pinned CA" in result.stderr
    assert "OK" in sehc("cert", "verify", "--ca", pki["dir"], "--purpose", "server", pki["certs"] / "node-a.pem").stdout


# MARK: TLS with Python's ssl module


def server_context(pki, name):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(pki["certs"] / f"{name}.pem", pki["certs"] / f"{name}.key")
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(pki, name):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(pki["certs"] / f"{name}.pem", pki["certs"] / f"{name}.key")
    context.load_verify_locations(pki["ca"])
    return context


def handshake(pki, server_name, client_name):
    """Mutual TLS over loopback; returns what each side saw of the other."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen = {}

    def serve():
        connection, _ = listener.accept()
        try:
            with server_context(pki, server_name).wrap_socket(connection, server_side=True) as tls:
                seen["server_saw"] = tls.getpeercert()
                seen["version"] = tls.version()
                tls.sendall(tls.recv(64).upper())
        except (ssl.SSLError, OSError) as error:  # the client refused the handshake
            seen["server_error"] = error

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_context(pki, client_name).wrap_socket(raw, server_hostname="localhost") as tls:
            seen["client_saw"] = tls.getpeercert()
            tls.sendall(b"ping")
            seen["reply"] = tls.recv(64)
    thread.join(10)
    listener.close()
    return seen


def uid(peer):
    for rdn in peer["subject"]:
        for name, value in rdn:
            if name == "userId":
                return value
    return None


@pytest.mark.parametrize("server,client", [("node-a", "node-b"), ("node-b", "node-a")])
def test_python_ssl_mutual_tls_between_nodes_both_directions(pki, server, client):
    seen = handshake(pki, server, client)
    assert seen["reply"] == b"PING" and seen["version"] == "TLSv1.3"
    server_cert, server_key = load(pki, server)
    client_cert, client_key = load(pki, client)
    assert uid(seen["client_saw"]) == address_of(server_key.public_key())
    assert uid(seen["server_saw"]) == address_of(client_key.public_key())


@pytest.mark.parametrize("client", ["alice", "bob"])
def test_python_ssl_clients_ed25519_and_p256(pki, client):
    seen = handshake(pki, "node-a", client)
    assert seen["reply"] == b"PING"
    assert dict(x[0] for x in seen["server_saw"]["subject"])["commonName"] == client


def test_python_ssl_refuses_a_certificate_from_another_ca(pki, tmp_path):
    other = tmp_path / "other"
    sehc("ca", "init", "--dir", other)
    sehc("cert", "issue", "--ca", other, "--node", "--name", "rogue", "--host", "localhost", "--out", pki["certs"])
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
        handshake(pki, "rogue", "node-a")


# MARK: grpcio


def echo(request, context):
    return request + b" from " + dict(context.auth_context())["x509_common_name"][0]


def grpc_call(pki, server_name, client_name):
    handler = grpc.method_handlers_generic_handler(
        "sehc.test.Echo", {"Echo": grpc.unary_unary_rpc_method_handler(echo)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    ca = pki["ca"].read_bytes()

    def pair(name):
        return (pki["certs"] / f"{name}.key").read_bytes(), (pki["certs"] / f"{name}.pem").read_bytes()

    credentials = grpc.ssl_server_credentials([pair(server_name)], root_certificates=ca, require_client_auth=True)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        key, chain = pair(client_name)
        channel = grpc.secure_channel(
            f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ca, key, chain),
            options=[("grpc.ssl_target_name_override", "localhost")])
        with channel:
            return channel.unary_unary("/sehc.test.Echo/Echo")(b"hello", timeout=10)
    finally:
        server.stop(0)


def test_grpcio_secure_channel_with_issued_certificates(pki):
    # grpcio (BoringSSL) checks the chain up to the Ed25519 CA; the TLS keys are P-256 (see below).
    assert grpc_call(pki, "gateway", "bob") == b"hello from bob"


def test_grpcio_does_not_offer_ed25519_in_tls_handshakes(pki):
    """A documented limit (docs/crypto.md): grpcio's BoringSSL neither offers nor accepts Ed25519
    handshake signatures, so grpcio endpoints need P-256 leaf certificates (`--key-type p256`). If
    this starts to pass, grpcio gained Ed25519 and the docs should say so."""
    for server, client in (("node-a", "bob"), ("gateway", "alice")):
        with pytest.raises(grpc.RpcError) as failure:
            grpc_call(pki, server, client)
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_one_openssl_server_serves_ed25519_peers_and_grpcio_clients(pki):
    """The way to serve both kinds of client on one port: an OpenSSL server holding its Ed25519 node
    certificate and a P-256 one, with server preference and the signature algorithms
    "ed25519:ecdsa_secp256r1_sha256", presents the Ed25519 certificate to OpenSSL peers and the
    P-256 one to grpcio. (`openssl s_server` stands in for the node's TLS layer.)"""
    port = free_port()
    certs = pki["certs"]
    server = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-tls1_3", "-serverpref",
         "-sigalgs", "ed25519:ecdsa_secp256r1_sha256", "-alpn", "h2", "-verify", "1", "-CAfile", str(pki["ca"]),
         "-cert", str(certs / "gateway.pem"), "-key", str(certs / "gateway.key"),
         "-dcert", str(certs / "node-a.pem"), "-dkey", str(certs / "node-a.key")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(5):  # "verify depth is 1", "Using default temp DH parameters", "ACCEPT"
            if server.stdout.readline().strip() == b"ACCEPT":
                break
        # An OpenSSL peer (Python's ssl, a node's client certificate) gets the Ed25519 certificate.
        for _ in range(50):
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=10)
                break
            except ConnectionRefusedError:
                threading.Event().wait(0.1)
        with raw, client_context(pki, "node-b").wrap_socket(raw, server_hostname="localhost") as tls:
            _, key = load(pki, "node-a")
            assert uid(tls.getpeercert()) == address_of(key.public_key())
        # grpcio completes a mutual TLS handshake on the same port with the P-256 certificate
        # (s_server speaks no HTTP/2, so the channel itself never becomes ready).
        credentials = grpc.ssl_channel_credentials(
            pki["ca"].read_bytes(), (certs / "bob.key").read_bytes(), (certs / "bob.pem").read_bytes())
        with grpc.secure_channel(f"127.0.0.1:{port}", credentials,
                                 options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
            try:
                grpc.channel_ready_future(channel).result(timeout=3)
            except grpc.FutureTimeoutError:
                pass
    finally:
        server.kill()
        output = server.communicate(timeout=10)[0].decode(errors="replace")
    assert "subject=CN = node-b" in output and "Peer signature type: ed25519" in output, output
    assert "subject=CN = bob" in output and "Peer signature type: ECDSA" in output, output
