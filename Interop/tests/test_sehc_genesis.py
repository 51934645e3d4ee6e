"""`sehc genesis` against stock Python: the file parses with json_format into sehc.v1.Genesis and is
exactly json_format's canonical JSON of it; validator keys come from the node certificates (read with
`cryptography`); every effective parameter is written; bad input fails with one line and the documented
exit status."""

import hashlib
import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from google.protobuf import json_format


def run(sehc_bin, *args, check=True):
    result = subprocess.run([str(sehc_bin), *map(str, args)], capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"sehc {' '.join(map(str, args))} failed: {result.stderr}")
    return result


def raw_public_key(certificate_path):
    certificate = x509.load_pem_x509_certificate(certificate_path.read_bytes())
    return certificate.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.fixture(scope="module")
def network(sehc_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("genesis")
    run(sehc_bin, "ca", "init", "--dir", base / "ca")
    for name in ("node-1", "node-2", "node-3"):
        run(sehc_bin, "cert", "issue", "--ca", base / "ca", "--node", "--name", name, "--host", "localhost",
            "--out", base / "certs")
    run(sehc_bin, "keygen", "--out", base / "admin.key")
    return base


def test_genesis_parses_in_python(proto_modules, sehc_bin, network):
    out = network / "genesis.json"
    result = run(
        sehc_bin, "genesis", "--chain-id", "sehc-interop", "--ca", network / "ca",
        "--validator", f"node-1={network / 'certs/node-1.pem'},peer=127.0.0.1:7101,client=localhost:7201",
        "--validator", f"node-2={network / 'certs/node-2.pem'},peer=127.0.0.1:7102,client=localhost:7202",
        "--validator", f"node-3={network / 'certs/node-3.pem'},peer=127.0.0.1:7103,client=localhost:7203,reputation=700000",
        "--participant", f"admin={network / 'admin.key'},org=Consortium, Inc.,name=Administrator,balance=100",
        "--shards", "3", "--epoch-length", "5", "--lambda-ppm", "800000", "--genesis-time-ms", "1700000000000",
        "--out", out)
    genesis_pb2 = proto_modules["sehc.v1.genesis_pb2"]
    text = out.read_text(encoding="utf-8")
    genesis = json_format.Parse(text, genesis_pb2.Genesis())
    assert text == json_format.MessageToJson(genesis, ensure_ascii=False) + "\n"
    assert genesis.chain_id == "sehc-interop" and genesis.genesis_time_ms == 1700000000000
    assert [v.name for v in genesis.validators] == ["node-1", "node-2", "node-3"]
    for index, validator in enumerate(genesis.validators, start=1):
        assert validator.public_key == raw_public_key(network / f"certs/node-{index}.pem")
        assert validator.peer_endpoint == f"127.0.0.1:710{index}"
    assert genesis.validators[2].initial_reputation_ppm == 700000
    params = genesis.params
    assert (params.shard_count, params.epoch_length, params.rblock_interval_ms) == (3, 5, 2000)
    assert (params.max_block_entries, params.max_block_bytes, params.batch_timeout_ms) == (2000, 8 << 20, 50)
    assert (params.vote_window_ms, params.election_timeout_ms, params.max_transaction_bytes) == (100, 1500, 65536)
    assert params.reward_per_rblock == 1000000
    r = params.reputation
    assert (r.alpha_ppm, r.beta_ppm, r.gamma_ppm, r.delta_ppm, r.epsilon_ppm, r.lambda_ppm, r.initial_ppm) == (
        1000000, 2000000, 500000, 10000, 50000, 800000, 500000)
    [admin] = genesis.participants
    key = serialization.load_pem_private_key((network / "admin.key").read_bytes(), password=None)
    assert admin.public_key == key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert admin.role == proto_modules["sehc.v1.common_pb2"].ROLE_ADMIN
    assert (admin.organisation, admin.display_name, admin.balance) == ("Consortium, Inc.", "Administrator", 100)
    assert genesis.ca_certificate_pem == (network / "ca/ca.pem").read_text()
    digest = hashlib.sha256(genesis.SerializeToString()).hexdigest()
    assert f"genesis hash {digest}" in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--chain-id", "Bad_ID"], 65, 'chain_id: "Bad_ID" contains "B"'),
    (["--shards", "4"], 65, "params.shard_count: 4 shards need at least 4 validators"),
    (["--validator", "node-9=/nonexistent.pem,peer=h:1,client=h:2"], 65, "cannot read certificate /nonexistent.pem"),
    (["--participant", "boss=00,org=X"], 65, '"boss" is not a role'),
    (["--shards", "0"], 64, "--shards 0 is not a value"),
])
def test_genesis_errors(sehc_bin, network, tmp_path, args, code, message):
    base = ["genesis", "--chain-id", "sehc-x", "--ca", network / "ca",
            "--validator", f"node-1={network / 'certs/node-1.pem'},peer=h:1,client=h:2",
            "--validator", f"node-2={network / 'certs/node-2.pem'},peer=h:3,client=h:4",
            "--out", tmp_path / "g.json"]
    if args[0] == "--chain-id":
        base[2] = args[1]
        args = []
    result = run(sehc_bin, *base, *args, check=False)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert not (tmp_path / "g.json").exists()


def test_genesis_refuses_to_overwrite(sehc_bin, network, tmp_path):
    out = tmp_path / "genesis.json"
    out.write_text("keep")
    args = ["genesis", "--chain-id", "sehc-x", "--ca", network / "ca/ca.pem",
            "--validator", f"node-1={network / 'certs/node-1.pem'},peer=h:1,client=h:2", "--shards", "1", "--out", out]
    result = run(sehc_bin, *args, check=False)
    assert result.returncode == 73 and "already exists" in result.stderr
    assert out.read_text() == "keep"
    run(sehc_bin, *args, "--force")
    assert json.loads(out.read_text())["chainId"] == "sehc-x"
