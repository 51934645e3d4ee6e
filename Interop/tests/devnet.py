"""A local network for end-to-end tests: `sehc devnet --create-only` builds it, and this module starts,
kills and restarts its nodes (`sehc node start --config ...`) and makes grpcio clients for them."""

import base64
import json
import pathlib
import random
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import grpc


def free_port_block(size):
    """A base port B such that B..B+size-1 are free on loopback now (the devnet takes B..B+200+n)."""
    for _ in range(200):
        base = random.randrange(20000, 60000 - size)
        ports = [base + i for i in range(size)]
        if all(_port_free(p) for p in ports):
            return base
    raise RuntimeError("no free block of ports found on loopback")


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Devnet:
    """The nodes of one devnet directory, run as child processes of the test."""

    def __init__(self, sehc, directory, nodes, shards, extra_args=()):
        self.sehc = str(sehc)
        self.directory = pathlib.Path(directory)
        base = free_port_block(200 + nodes)
        subprocess.run(
            [self.sehc, "devnet", "--create-only", "--nodes", str(nodes), "--shards", str(shards),
             "--dir", str(self.directory), "--base-port", str(base), *extra_args],
            check=True, capture_output=True, text=True)
        self.layout = json.loads((self.directory / "network.json").read_text())
        self.nodes = {n["name"]: n for n in self.layout["nodes"]}
        self.ca = pathlib.Path(self.layout["caCertificate"]).read_bytes()
        self.admin_password = pathlib.Path(self.layout["adminPasswordFile"]).read_text().strip()
        self.processes = {}

    # Processes

    def start(self, name):
        node = self.nodes[name]
        log = open(pathlib.Path(node["directory"]) / "node.log", "ab")
        self.processes[name] = subprocess.Popen(
            [self.sehc, "node", "start", "--config", node["configFile"]], cwd=node["directory"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def start_all(self):
        for name in self.nodes:
            self.start(name)

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes[name]
        process.send_signal(sig)
        return process.wait(timeout=30)

    def stop_all(self, grace=15):
        running = [p for p in self.processes.values() if p.poll() is None]
        for p in running:
            p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        statuses = {}
        for name, p in self.processes.items():
            try:
                statuses[name] = p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                statuses[name] = p.wait()
        return statuses

    def log_tail(self, name, lines=30):
        path = pathlib.Path(self.nodes[name]["directory"]) / "node.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def healthy(self, name):
        host, port = self.nodes[name]["metricsEndpoint"].rsplit(":", 1)
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_serving(self, names=None, timeout=120):
        names = list(names or self.nodes)
        deadline = time.monotonic() + timeout
        while True:
            for name in names:
                process = self.processes.get(name)
                if process is not None and process.poll() is not None:
                    raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log_tail(name)}")
            pending = [n for n in names if not self.healthy(n)]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{pending} not serving after {timeout} s:\n{self.log_tail(pending[0])}")
            time.sleep(0.25)

    # Clients

    def channel(self, name):
        credentials = grpc.ssl_channel_credentials(root_certificates=self.ca)
        return grpc.secure_channel(self.nodes[name]["clientEndpoint"], credentials)

    def node_key_pem(self, name):
        return (pathlib.Path(self.nodes[name]["directory"]) / f"{name}.key").read_bytes()


def jwt_parts(token):
    """The decoded header and payload of a JWT, and its signing input and signature."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decode(header_b64), decode(payload_b64), f"{header_b64}.{payload_b64}".encode(), signature_b64


def jwt_encode(header, payload, private_key):
    """A JWT signed with an Ed25519 key from `cryptography` (EdDSA)."""
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = encode(json.dumps(header, separators=(",", ":")).encode()) + "." + encode(
        json.dumps(payload, separators=(",", ":")).encode())
    return signing_input + "." + encode(private_key.sign(signing_input.encode()))


def shutdown_statuses_clean(statuses):
    """Whether every node stopped on SIGTERM by itself (exit status 0)."""
    return all(status == 0 for status in statuses.values())

