"""The multi-machine procedure of docs/operator.md ("A network on several machines"), step by step, with
one directory per machine on loopback: each validator makes its keys and hands only public keys to the
CA, the CA certifies them, the genesis is built from the certificates, every node gets a hand-written
node.toml, the first administrator is added with `sehc user add`, and the nodes, started one by one,
commit and finalize a transfer that the administrator submits with `sehc client`."""

import base64
import json
import os
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from devnet import free_port_block

VALIDATORS = 3


def run(sehc_bin, *args, check=True, stdin=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEHC_")}
    result = subprocess.run([str(sehc_bin), *map(str, args)], capture_output=True, text=True, input=stdin,
                            timeout=180, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"sehc {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
    return result


def healthy(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def consortium(sehc_bin, tmp_path_factory):
    """The machines' directories after the set-up steps, with their nodes running."""
    root = tmp_path_factory.mktemp("consortium")
    base = free_port_block(3 * VALIDATORS)
    ca = root / "ca-machine"
    run(sehc_bin, "ca", "init", "--dir", ca)

    machines = []
    for i in range(1, VALIDATORS + 1):
        name, machine = f"node-{i}", root / f"machine-{i}"
        machine.mkdir()
        address = run(sehc_bin, "keygen", "--out", machine / f"{name}.key", "--public-out",
                      machine / f"{name}.pub").stdout.strip()
        run(sehc_bin, "keygen", "--key-type", "p256", "--out", machine / f"{name}-client.key", "--public-out",
            machine / f"{name}-client.pub")
        # Only the .pub files travel to the CA; the certificates travel back.
        run(sehc_bin, "cert", "issue", "--ca", ca, "--node", "--name", name, "--public-key", machine / f"{name}.pub",
            "--host", "127.0.0.1", "--out", machine)
        run(sehc_bin, "cert", "issue", "--ca", ca, "--node", "--name", f"{name}-client", "--public-key",
            machine / f"{name}-client.pub", "--host", "127.0.0.1", "--host", "localhost", "--out", machine)
        ports = {"peer": base + i - 1, "client": base + VALIDATORS + i - 1, "metrics": base + 2 * VALIDATORS + i - 1}
        machines.append({"name": name, "dir": machine, "address": address, "ports": ports})

    admin_key = root / "admin.key"
    run(sehc_bin, "keygen", "--out", admin_key, "--public-out", root / "admin.pub")
    genesis = root / "genesis.json"
    validators = []
    for m in machines:
        validators += ["--validator", f"{m['name']}={m['dir'] / (m['name'] + '.pem')},"
                       f"peer=127.0.0.1:{m['ports']['peer']},client=127.0.0.1:{m['ports']['client']}"]
    run(sehc_bin, "genesis", "--chain-id", "sehc-operator-test", "--ca", ca, *validators,
        "--participant", f"admin={root / 'admin.pub'},org=Consortium,name=Administrator,balance=1000",
        "--shards", "1", "--out", genesis)

    for m in machines:
        (m["dir"] / "genesis.json").write_bytes(genesis.read_bytes())
        (m["dir"] / "ca.pem").write_bytes((ca / "ca.pem").read_bytes())
        (m["dir"] / "node.toml").write_text(
            f'name = "{m["name"]}"\n\n'
            f'[peer]\nlisten = "127.0.0.1:{m["ports"]["peer"]}"\n\n'
            f'[client]\nlisten = "127.0.0.1:{m["ports"]["client"]}"\n\n'
            f'[metrics]\nlisten = "127.0.0.1:{m["ports"]["metrics"]}"\n')

    password = root / "admin-password"
    password.write_text("correct horse battery staple\n")
    password.chmod(0o600)
    first = machines[0]
    added = run(sehc_bin, "user", "add", "--config", first["dir"] / "node.toml", "--username", "admin", "--role",
                "admin", "--organisation", "Consortium", "--key", admin_key, "--password-file", password)
    processes = {}
    try:
        for m in machines:
            log = open(m["dir"] / "node.log", "ab")
            processes[m["name"]] = subprocess.Popen(
                [str(sehc_bin), "node", "start", "--config", m["dir"] / "node.toml"], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
            log.close()
        deadline = time.monotonic() + 120
        while not all(healthy(m["ports"]["metrics"]) for m in machines):
            for m in machines:
                process = processes[m["name"]]
                log = (m["dir"] / "node.log").read_text(errors="replace")
                assert process.poll() is None, f"{m['name']} exited {process.returncode}:\n{log[-3000:]}"
            assert time.monotonic() < deadline, "the nodes did not serve within 120 s"
            time.sleep(0.25)
        yield {"root": root, "ca": ca, "machines": machines, "password": password, "added": added,
               "admin_key": admin_key, "processes": processes}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def client(sehc_bin, consortium, machine, *args, token=None):
    endpoint = f"127.0.0.1:{consortium['machines'][machine]['ports']['client']}"
    extra = ["--token", token] if token else []
    return run(sehc_bin, "client", *args, "--node", endpoint, "--ca", consortium["ca"] / "ca.pem", *extra,
               check=False)


def test_private_keys_never_leave_their_machine(consortium):
    assert sorted(path.name for path in consortium["ca"].iterdir()) == ["ca.key", "ca.pem"]
    for m in consortium["machines"]:
        for key in (m["dir"] / f"{m['name']}.key", m["dir"] / f"{m['name']}-client.key"):
            assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_the_first_administrator_logs_in_and_a_transfer_becomes_final(sehc_bin, consortium):
    assert "added admin (admin, address " in consortium["added"].stdout
    assert "custodial" in consortium["added"].stdout
    listed = run(sehc_bin, "user", "list", "--config", consortium["machines"][0]["dir"] / "node.toml")
    assert listed.stdout.startswith("admin\tadmin\t")

    login = client(sehc_bin, consortium, 0, "login", "admin", "--password-file", consortium["password"])
    assert login.returncode == 0, login.stderr
    token = login.stdout.strip()

    recipient = base64.b64encode(os.urandom(20)).decode()
    request = json.dumps({"transfer": {"recipient": recipient, "amount": "7"}, "waitFor": "COMMITMENT_FINAL"})
    transfer = client(sehc_bin, consortium, 0, "call", "Transfer", request, "--json", token=token)
    assert transfer.returncode == 0, transfer.stderr
    assert json.loads(transfer.stdout)["status"]["state"] == "TRANSACTION_STATE_FINAL", transfer.stdout

    # The token node-1 issued is accepted by the other validators, which hold no user of their own.
    for machine in range(1, VALIDATORS):
        who = client(sehc_bin, consortium, machine, "call", "WhoAmI", "--json", token=token)
        assert who.returncode == 0, who.stderr
        assert json.loads(who.stdout)["username"] == "admin"


def test_user_add_refuses_bad_input_with_the_fix(sehc_bin, consortium):
    config = consortium["machines"][1]["dir"] / "node.toml"
    common = ["user", "add", "--config", config, "--organisation", "Consortium", "--password-file",
              consortium["password"]]
    bad_role = run(sehc_bin, *common, "--username", "x-user", "--role", "boss", check=False)
    assert bad_role.returncode == 64 and "the roles are patient, clinician" in bad_role.stderr
    short = consortium["root"] / "short-password"
    short.write_text("short\n")
    weak = run(sehc_bin, *common[:-1], short, "--username", "x-user", "--role", "lab", check=False)
    assert weak.returncode == 65 and "password" in weak.stderr
    first = run(sehc_bin, *common, "--username", "lab-user", "--role", "lab")
    assert "custodial" in first.stdout
    again = run(sehc_bin, *common, "--username", "lab-user", "--role", "lab", check=False)
    assert again.returncode == 65 and 'user "lab-user" already exists' in again.stderr
    missing = run(sehc_bin, "user", "list", "--config", consortium["root"] / "nowhere.toml", check=False)
    assert missing.returncode == 65 and "nowhere.toml" in missing.stderr
