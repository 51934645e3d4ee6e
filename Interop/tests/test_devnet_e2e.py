"""End to end: a real network of `sehc node` processes on loopback over TLS, driven by stock grpcio.

Six validators in two shards (three members each, so that a shard keeps a majority when one member is
killed; a two-member shard cannot lose one). The Python client logs in, registers participants, stores
a record, uploads an image through one node and downloads it from another, asks for and approves
access, grants across shards, and checks a Merkle proof offline; a leader killed with SIGKILL is
replaced without losing a committed transaction and catches up when restarted; bad tokens, bad
certificates and malformed messages get their exact statuses."""

import datetime
import hashlib
import importlib
import json
import os
import socket
import ssl
import subprocess
import time

import grpc
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from devnet import Devnet, jwt_encode, jwt_parts, shutdown_statuses_clean
from test_signing_vectors import root_from_proof

NODES, SHARDS = 6, 2
CHUNK = 1 << 20


@pytest.fixture(scope="module")
def net(sehc_bin, tmp_path_factory, proto_modules):
    # One epoch for the whole module (1,000 RBlocks of 2 s): the shard assignment, and so which node
    # leads which shard, stays put while the tests pick nodes by it. Epoch handover is covered by the
    # simulation tests, which drive the same state machines.
    network = Devnet(sehc_bin, tmp_path_factory.mktemp("devnet") / "net", NODES, SHARDS,
                     ["--epoch-length", "1000"])
    network.start_all()
    try:
        network.wait_serving(timeout=180)
        yield network
    finally:
        statuses = network.stop_all()
        # Every node still running at the end stops cleanly on SIGTERM.
        assert shutdown_statuses_clean(statuses), statuses


@pytest.fixture(scope="module")
def pb(proto_modules):
    return proto_modules["sehc.v1.healthchain_pb2"]


@pytest.fixture(scope="module")
def types(proto_modules):
    class Types:
        common = proto_modules["sehc.v1.common_pb2"]
        tx = proto_modules["sehc.v1.transaction_pb2"]
        block = proto_modules["sehc.v1.block_pb2"]
    return Types


@pytest.fixture(scope="module")
def stub_class(proto_modules):
    return importlib.import_module("sehc.v1.healthchain_pb2_grpc").HealthChainStub


def bearer(token):
    return (("authorization", f"Bearer {token}"),)


class Client:
    """A HealthChain stub of one node with a token."""

    def __init__(self, net, stub_class, name, token=None):
        self.channel = net.channel(name)
        self.stub = stub_class(self.channel)
        self.token = token

    def __getattr__(self, method):
        call = getattr(self.stub, method)

        def invoke(request, **kwargs):
            metadata = bearer(self.token) if self.token else ()
            return call(request, metadata=metadata, timeout=kwargs.pop("timeout", 60), **kwargs)
        return invoke


def login(net, stub_class, pb, node, username, password):
    client = Client(net, stub_class, node)
    response = client.Login(pb.LoginRequest(username=username, password=password))
    return Client(net, stub_class, node, response.access_token), response


def committed(pb, status):
    return status.state in (pb.TRANSACTION_STATE_SHARD_COMMITTED, pb.TRANSACTION_STATE_FINAL)


@pytest.fixture(scope="module")
def admin(net, stub_class, pb):
    client, _ = login(net, stub_class, pb, "node-1", net.layout["adminUsername"], net.admin_password)
    return client


@pytest.fixture(scope="module")
def people(net, stub_class, pb, types, admin):
    """A patient and a clinician on node-1, and a clinician on a node of the other shard (a node creates
    its users in a shard it holds; the administrator's token from node-1 is good on every node)."""
    password = "e2e-password-1"

    def create(name, role, client):
        response = client.CreateUser(pb.CreateUserRequest(
            username=name, password=password, role=role, organisation="E2E Hospital",
            wait_for=pb.COMMITMENT_SHARD_COMMITTED))
        assert committed(pb, response.registration.status), response.registration.status
        return response.user

    patient = create("e2e-patient", types.common.ROLE_PATIENT, admin)
    local = create("e2e-dr-local", types.common.ROLE_CLINICIAN, admin)
    other = next(shard for shard in range(SHARDS) if shard != patient.shard)
    remote_node = shard_nodes(net, admin, other)[0]
    remote = create("e2e-dr-remote", types.common.ROLE_CLINICIAN, Client(net, stub_class, remote_node, admin.token))
    assert remote.shard == other
    return {
        "patient": patient, "local": local, "remote": remote,
        "patient_client": login(net, stub_class, pb, "node-1", patient.username, password)[0],
        "local_client": login(net, stub_class, pb, "node-1", local.username, password)[0],
        "password": password,
    }


def shard_nodes(net, admin, shard):
    assignment = admin.GetShardAssignment(
        importlib.import_module("sehc.v1.healthchain_pb2").GetShardAssignmentRequest(current=True))
    members = {m.hex() for s in assignment.shards if s.shard == shard for m in s.members}
    return [name for name, node in net.nodes.items() if node["address"] in members]


def study(size):
    data = bytearray(hashlib.sha256(b"e2e-ct").digest() * (size // 32 + 1))[:size]
    data[128:132] = b"DICM"
    return bytes(data)


def test_login_and_whoami(net, stub_class, pb, admin):
    user = admin.WhoAmI(pb.WhoAmIRequest())
    assert user.username == net.layout["adminUsername"]
    info = admin.GetNodeInfo(pb.GetNodeInfoRequest())
    assert info.chain_id == net.layout["chainID"] and info.shard_count == SHARDS and info.name == "node-1"


def test_wrong_password_is_unauthenticated(net, stub_class, pb):
    with pytest.raises(grpc.RpcError) as error:
        Client(net, stub_class, "node-2").Login(pb.LoginRequest(username="admin", password="not-the-password"))
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_bad_tokens_are_unauthenticated(net, stub_class, pb, admin):
    stub = stub_class(net.channel("node-2"))
    header, payload, _, _ = jwt_parts(admin.token)
    other_key = ed25519.Ed25519PrivateKey.generate()
    node_key = serialization.load_pem_private_key(net.node_key_pem("node-1"), password=None)
    now = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    expired = dict(payload, iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    tampered = admin.token.split(".")
    tampered[1] = jwt_encode(header, dict(payload, role="auditor"), other_key).split(".")[1]
    cases = {
        "missing": (),
        "not a JWT": bearer("not-a-token"),
        "signed by another key": bearer(jwt_encode(header, payload, other_key)),
        "payload changed": bearer(".".join(tampered)),
        "expired (signed by node-1)": bearer(jwt_encode(header, expired, node_key)),
    }
    for name, metadata in cases.items():
        with pytest.raises(grpc.RpcError) as error:
            stub.WhoAmI(pb.WhoAmIRequest(), metadata=metadata, timeout=30)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED, name
    # The same token is accepted by another node of the network (issued by a validator of the genesis).
    assert stub.WhoAmI(pb.WhoAmIRequest(), metadata=bearer(admin.token), timeout=30).username == "admin"


def test_forbidden_call_is_permission_denied(people, pb, types):
    with pytest.raises(grpc.RpcError) as error:
        people["patient_client"].CreateUser(pb.CreateUserRequest(
            username="e2e-intruder", password="password-123", role=types.common.ROLE_ADMIN,
            organisation="x"))
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED


def raw_call_status(net, admin, method, request):
    """The status of calling HealthChain `method` on node-1 with raw request bytes (the call must fail)."""
    call = net.channel("node-1").unary_unary(
        f"/sehc.v1.HealthChain/{method}", request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as error:
        call(request, metadata=bearer(admin.token), timeout=30)
    return error.value.code()


def test_malformed_message_is_invalid_argument(net, admin):
    status = raw_call_status(net, admin, "GetNodeInfo", b"\x0a\xff\xff\xff\xff\x0f")
    assert status == grpc.StatusCode.INVALID_ARGUMENT


def test_unknown_method_is_unimplemented(net, admin):
    assert raw_call_status(net, admin, "NoSuchMethod", b"") == grpc.StatusCode.UNIMPLEMENTED


def test_wrong_certificates_are_refused(net, pki):
    node = net.nodes["node-1"]
    # A client that trusts another CA refuses the node.
    channel = grpc.secure_channel(node["clientEndpoint"], grpc.ssl_channel_credentials(
        root_certificates=open(pki.ca, "rb").read()))
    with pytest.raises(grpc.FutureTimeoutError):
        grpc.channel_ready_future(channel).result(timeout=5)
    # The peer port (mutual TLS) refuses a client certificate from another CA.
    host, port = node["peerEndpoint"].rsplit(":", 1)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(net.layout["caCertificate"])
    context.load_cert_chain(pki.client_cert, pki.client_key)
    context.check_hostname = False
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            with context.wrap_socket(raw) as tls:
                tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
                if not tls.recv(1):
                    raise ConnectionResetError("closed by the node")


def test_plaintext_on_the_tls_port_is_refused(net):
    host, port = net.nodes["node-1"]["clientEndpoint"].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        try:
            answer = raw.recv(64)
        except ConnectionResetError:
            answer = b""
    # Nothing of HTTP/2 comes back: a TLS alert record (0x15) or a closed connection.
    assert answer == b"" or answer[0] == 0x15


def test_records_images_access_and_cross_shard_grant(net, stub_class, pb, types, admin, people):
    patient, patient_client = people["patient"], people["patient_client"]

    # A lab report, with an inclusion proof that checks offline against the block header.
    response = patient_client.PutRecord(pb.PutRecordRequest(
        patient=patient.address, kind="lab-report", media_type="text/plain",
        content=b"SARS-CoV-2 RT-PCR negative\n", wait_for=pb.COMMITMENT_SHARD_COMMITTED))
    assert committed(pb, response.status), response.status
    status = patient_client.GetTransaction(pb.GetTransactionRequest(tx_id=response.tx_id))
    header = types.block.TBlockHeader.FromString(status.block_header)
    proof = status.proof
    assert root_from_proof(status.entry, proof.leaf_index, proof.tree_size, list(proof.path)) == header.entries_root
    entry = types.block.TBlockEntry.FromString(status.entry)
    assert hashlib.sha256(entry.transaction.body).digest() == response.tx_id
    assert hashlib.sha256(status.block_header).digest() == status.block.hash

    # A CT study uploaded through node-1 in 1 MiB chunks.
    image = study(3 * CHUNK + 12345)
    session = patient_client.BeginUpload(pb.BeginUploadRequest(
        patient=patient.address, kind="covid19-ct", media_type="application/dicom", total_size=len(image),
        content_hash=hashlib.sha256(image).digest(), modality="CT", wait_for=pb.COMMITMENT_SHARD_COMMITTED))
    chunks = (pb.UploadChunk(session_id=session.session_id, offset=o, data=image[o:o + CHUNK])
              for o in range(0, len(image), CHUNK))
    uploaded = patient_client.UploadImage(chunks, timeout=120)
    assert committed(pb, uploaded.transaction.status), uploaded.transaction.status
    record_id = uploaded.record_id

    # Downloaded from another node of the patient's shard, every byte the same.
    members = shard_nodes(net, admin, patient.shard)
    reader = next(name for name in members if name != "node-1")

    def download(client):
        data, record = b"", None
        for part in client.Download(pb.DownloadRequest(record_id=record_id), timeout=120):
            if part.HasField("record"):
                record = part.record
            else:
                data += part.chunk.data
        return record, data

    record, data = download(Client(net, stub_class, reader, patient_client.token))
    assert data == image and record.patient == patient.address

    # The clinician may not read it yet; asks, the patient approves, and then it may.
    clinician = Client(net, stub_class, reader, people["local_client"].token)
    with pytest.raises(grpc.RpcError) as error:
        download(clinician)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    asked = people["local_client"].RequestAccess(pb.RequestAccessRequest(
        request=types.tx.RequestAccess(patient=patient.address, record_id=record_id, reason="follow-up"),
        wait_for=pb.COMMITMENT_SHARD_COMMITTED))
    assert committed(pb, asked.status), asked.status
    approved = patient_client.DecideRequest(pb.DecideRequestRequest(
        decision=types.tx.DecideRequest(request_id=asked.tx_id, approve=True),
        wait_for=pb.COMMITMENT_FINAL))
    assert committed(pb, approved.status), approved.status
    record, data = download(clinician)
    assert data == image

    # A grant to a clinician of the other shard: final at home and applied in the target shard.
    granted = patient_client.GrantAccess(pb.GrantAccessRequest(
        grant=types.tx.GrantAccess(grantee=people["remote"].address, record_id=record_id),
        wait_for=pb.COMMITMENT_FINAL))
    assert committed(pb, granted.status), granted.status
    deadline = time.monotonic() + 60
    while True:
        status = patient_client.GetTransaction(pb.GetTransactionRequest(tx_id=granted.tx_id))
        if status.cross_shard == pb.CROSS_SHARD_STATE_APPLIED:
            break
        assert status.cross_shard != pb.CROSS_SHARD_STATE_ABORTED, status.reason
        assert time.monotonic() < deadline, f"grant not applied in the target shard: {status}"
        time.sleep(0.5)
    remote_reader = Client(net, stub_class, shard_nodes(net, admin, people["remote"].shard)[0], admin.token)
    grants = remote_reader.ListGrants(pb.ListGrantsRequest(party=people["remote"].address, as_grantee=True))
    assert any(g.record_id == record_id for g in grants.grants)

    # Every node's chains validate.
    for name in net.nodes:
        assert Client(net, stub_class, name, admin.token).ValidateChain(pb.ValidateChainRequest()).valid


def sehc_client(net, *args, token=None, stdin=None):
    """Runs `sehc client ARGS --devnet DIR` and returns the completed process."""
    command = [net.sehc, "client", *args, "--devnet", str(net.directory)]
    if token:
        command += ["--token", token]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEHC_")}
    return subprocess.run(command, capture_output=True, text=True, input=stdin, timeout=180, env=env)


def test_client_cli_logs_in_calls_uploads_and_downloads(net, admin, people, tmp_path):
    login = sehc_client(net, "login", net.layout["adminUsername"], "--password-file",
                        net.layout["adminPasswordFile"])
    assert login.returncode == 0, login.stderr
    token = login.stdout.strip()
    assert token.count(".") == 2 and "logged in as" in login.stderr

    # Any method by name, as text (bytes in hex) or as one JSON object per line.
    info = sehc_client(net, "call", "GetNodeInfo", token=token)
    assert info.returncode == 0, info.stderr
    assert net.layout["chainID"] in info.stdout
    listed = sehc_client(net, "call", "ListRBlocks", '{"fromHeight": "1", "toHeight": "2"}', "--json", token=token)
    assert listed.returncode == 0, listed.stderr
    blocks = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(blocks) >= 1 and all("header" in block for block in blocks)
    methods = subprocess.run([net.sehc, "client", "methods"], capture_output=True, text=True, timeout=60)
    assert methods.returncode == 0 and "UploadImage" in methods.stdout and "GetNodeInfo" in methods.stdout

    # An image through node-1 with the patient's session, downloaded from another member of its shard.
    patient = people["patient"]
    image = study(2 * CHUNK + 777)
    source = tmp_path / "study.dcm"
    source.write_bytes(image)
    uploaded = sehc_client(net, "upload", str(source), "--patient", patient.address.hex(), "--modality", "CT",
                           "--on", "node-1", token=people["patient_client"].token)
    assert uploaded.returncode == 0, uploaded.stderr
    record_id = next(line.split()[1] for line in uploaded.stdout.splitlines() if line.startswith("record "))
    reader = next(name for name in shard_nodes(net, admin, patient.shard) if name != "node-1")
    target = tmp_path / "copy.dcm"
    downloaded = sehc_client(net, "download", record_id, "-o", str(target), "--on", reader,
                             token=people["patient_client"].token)
    assert downloaded.returncode == 0, downloaded.stderr
    assert target.read_bytes() == image


def test_client_cli_reports_bad_input_with_exit_statuses(net, admin):
    unknown = sehc_client(net, "call", "NoSuchMethod", token=admin.token)
    assert unknown.returncode == 64 and "has no method NoSuchMethod" in unknown.stderr
    bad_json = sehc_client(net, "call", "GetTransaction", "{not json", token=admin.token)
    assert bad_json.returncode == 65 and "not a valid sehc.v1.GetTransactionRequest" in bad_json.stderr
    anonymous = sehc_client(net, "call", "WhoAmI")
    assert anonymous.returncode == 77 and "unauthenticated" in anonymous.stderr.lower()
    wrong_node = sehc_client(net, "call", "GetNodeInfo", "--on", "node-99", token=admin.token)
    assert wrong_node.returncode == 64 and "has no node node-99" in wrong_node.stderr
    bad_password = sehc_client(net, "login", net.layout["adminUsername"], stdin="wrong-password\n")
    assert bad_password.returncode == 77, bad_password.stderr


def test_killed_leader_is_replaced_and_catches_up(net, stub_class, pb, types, admin):
    """SIGKILL the first-ranked member (the leader of view 0) of the administrator's shard: the shard
    commits on under the next leader, loses nothing committed, and the node catches up on restart."""
    account = admin.WhoAmI(pb.WhoAmIRequest())
    reputation = admin.GetReputation(pb.GetReputationRequest())
    members = sorted((v for v in reputation.validators if v.shard == account.shard), key=lambda v: v.leader_rank)
    leader = next(name for name, node in net.nodes.items() if node["address"] == members[0].address.hex())
    survivor = next(name for name, node in net.nodes.items()
                    if node["address"] == members[1].address.hex())
    recipient = os.urandom(20)

    def transfer(client, amount):
        response = client.Transfer(pb.TransferRequest(
            transfer=types.tx.Transfer(recipient=recipient, amount=amount),
            wait_for=pb.COMMITMENT_SHARD_COMMITTED), timeout=90)
        assert committed(pb, response.status), response.status
        return response

    survivor_client, _ = login(net, stub_class, pb, survivor, "admin", net.admin_password)
    before = transfer(survivor_client, 1)
    net.kill(leader)
    after = transfer(survivor_client, 2)
    assert committed(pb, survivor_client.GetTransaction(pb.GetTransactionRequest(tx_id=before.tx_id)))
    height = survivor_client.GetNodeInfo(pb.GetNodeInfoRequest())

    net.start(leader)
    net.wait_serving([leader], timeout=120)
    restarted = Client(net, stub_class, leader, admin.token)
    target = {h.shard: h.height for h in height.heights}[account.shard]
    deadline = time.monotonic() + 90
    while True:
        info = restarted.GetNodeInfo(pb.GetNodeInfoRequest())
        if {h.shard: h.height for h in info.heights}.get(account.shard, 0) >= target:
            break
        assert time.monotonic() < deadline, f"{leader} did not catch up to height {target}: {info}"
        time.sleep(0.5)
    for response in (before, after):
        assert committed(pb, restarted.GetTransaction(pb.GetTransactionRequest(tx_id=response.tx_id)))
    # The recipient's account lives in its own shard (DESIGN §5), credited by the two transfers' receipts.
    recipient_shard = int.from_bytes(hashlib.sha256(recipient).digest()[:8], "big") % SHARDS
    holder = Client(net, stub_class, shard_nodes(net, admin, recipient_shard)[0], admin.token)
    deadline = time.monotonic() + 60
    while holder.GetAccount(pb.GetAccountRequest(address=recipient)).balance != 3:
        assert time.monotonic() < deadline, "the transfers did not both reach the recipient's shard"
        time.sleep(0.5)
