"""Shared fixtures: Python bindings generated from Proto/ at test time, the built sehc, interop-server
and interop-client binaries, a CA made at test time, servers on ephemeral ports and the interop
clients."""

import datetime
import importlib
import importlib.util
import ipaddress
import os
import pathlib
import subprocess
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def proto_modules(tmp_path_factory):
    """Generates Python bindings for every .proto of Proto/ with grpc_tools and imports them."""
    out = tmp_path_factory.mktemp("python_bindings")
    protos = sorted(str(p.relative_to(ROOT / "Proto")) for p in (ROOT / "Proto").rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", "-I", str(ROOT / "Proto"),
         f"--python_out={out}", f"--grpc_python_out={out}", *protos],
        check=True,
    )
    sys.path.insert(0, str(out))
    modules = {}
    for proto in protos:
        name = proto[:-len(".proto")].replace("/", ".") + "_pb2"
        if name.startswith("grpc."):
            # grpc.health.v1 and grpc.reflection.v1 would collide with the grpcio package: load them by
            # path under another name (they import nothing of ours, and register in the default pool).
            alias = "sehc_bindings_" + name.replace(".", "_")
            spec = importlib.util.spec_from_file_location(alias, out / (proto[:-len(".proto")] + "_pb2.py"))
            module = importlib.util.module_from_spec(spec)
            sys.modules[alias] = module
            spec.loader.exec_module(module)
            modules[name] = module
        else:
            modules[name] = importlib.import_module(name)
    return modules


def built_binary(name):
    """Path of an executable built by `swift build` (SEHC_BIN_DIR is set by Tools/scripts/test.sh)."""
    bin_dir = os.environ.get("SEHC_BIN_DIR")
    if not bin_dir:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()
    path = pathlib.Path(bin_dir) / name
    if not path.exists():
        pytest.fail(f"{path} does not exist; run `swift build` first (make test does)")
    return path


@pytest.fixture(scope="session")
def sehc_bin():
    return built_binary("sehc")


@pytest.fixture(scope="session")
def interop_server_bin():
    return built_binary("interop-server")


@pytest.fixture(scope="session")
def interop_client_bin():
    return built_binary("interop-client")


PYTHON_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "python"))


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SeHealthChain Interop"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return str(path)


class PKI:
    """A CA with a server certificate (localhost, 127.0.0.1, *.test.google.fr) and a client one."""

    def __init__(self, directory):
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (
            x509.CertificateBuilder()
            .subject_name(_name("Interop Test CA"))
            .issuer_name(_name("Interop Test CA"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca = _write(directory / "ca.pem", ca.public_bytes(serialization.Encoding.PEM))
        self.server_cert, self.server_key = self._issue(
            directory, "server", ca, ca_key, now,
            [x509.DNSName("localhost"), x509.DNSName("*.test.google.fr"),
             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
            ExtendedKeyUsageOID.SERVER_AUTH)
        self.client_cert, self.client_key = self._issue(
            directory, "client", ca, ca_key, now, [x509.DNSName("interop-client.sehc.test")],
            ExtendedKeyUsageOID.CLIENT_AUTH)

    @staticmethod
    def _issue(directory, name, ca, ca_key, now, sans, usage):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return (_write(directory / f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM)),
                _write(directory / f"{name}.key", key_pem))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return PKI(tmp_path_factory.mktemp("pki"))


class Server:
    """A server process that prints `listening on N` when ready; stopped by `stop()`."""

    def __init__(self, argv, env=None):
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=env)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.process.stderr.read()!r}")
        self.port = int(line.split()[-1])

    def stop(self):
        """Sends SIGTERM and waits (10 s, then SIGKILL); returns the exit status."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode


def swift_server(server_bin, pki, require_client_cert=False):
    """The Swift interop-server on an ephemeral loopback port, with the test CA for client certificates."""
    argv = [str(server_bin), "--port", "0", "--host", "127.0.0.1", "--use_tls=true", "--cert", pki.server_cert,
            "--key", pki.server_key, "--ca", pki.ca,
            f"--require_client_cert={'true' if require_client_cert else 'false'}"]
    return Server(argv)


def python_server(pki, require_client_cert=False):
    argv = [sys.executable, os.path.join(PYTHON_DIR, "interop_server.py"), "--port", "0", "--use_tls=true",
            "--cert", pki.server_cert, "--key", pki.server_key, "--ca", pki.ca,
            f"--require_client_cert={'true' if require_client_cert else 'false'}"]
    return Server(argv)


def run_client(port, pki, case="all", mtls=False, override="foo.test.google.fr"):
    argv = [sys.executable, os.path.join(PYTHON_DIR, "interop_client.py"), "--server_host=127.0.0.1",
            f"--server_port={port}", f"--test_case={case}", "--use_tls=true", "--use_test_ca=true",
            f"--ca_file={pki.ca}", f"--server_host_override={override}"]
    if mtls:
        argv += [f"--client_cert_file={pki.client_cert}", f"--client_key_file={pki.client_key}"]
    return _run_cases(argv)


def run_swift_client(client_bin, port, pki, case="all", mtls=False, override="foo.test.google.fr"):
    """Runs the Swift interop-client with grpc's flags; returns the process result and the outcomes."""
    argv = [str(client_bin), "--server_host=127.0.0.1", f"--server_port={port}", f"--test_case={case}",
            "--use_tls=true", "--use_test_ca=true", f"--ca_file={pki.ca}", f"--server_host_override={override}"]
    if mtls:
        argv += [f"--client_cert_file={pki.client_cert}", f"--client_key_file={pki.client_key}"]
    return _run_cases(argv)


def _run_cases(argv):
    """Runs an interop client; its `PASS case` / `FAIL case: why` lines become {case: (verdict, why)}."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    outcomes = {}
    for line in result.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        name, _, why = rest.partition(":")
        outcomes[name] = (verdict, why.strip())
    return result, outcomes


INTEROP_CASES = [
    "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
    "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
    "status_code_and_message", "special_status_message", "custom_metadata", "unimplemented_method",
    "unimplemented_service",
]
