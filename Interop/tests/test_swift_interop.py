"""The Swift interop binaries against stock grpcio, over TLS and mutual TLS with a CA made at test time:

- the grpcio interop client (python/interop_client.py) against `interop-server`, all 14 cases;
- `interop-client` against the grpcio interop server (python/interop_server.py), all 14 cases;
- a server that requires client certificates refusing clients without one, both ways;
- `interop-server` stopping cleanly on SIGINT and SIGTERM;
- command-line errors: one line on standard error and the sysexits status.

The binaries come from `swift build` (SEHC_BIN_DIR, set by Tools/scripts/test.sh)."""

import signal
import subprocess
import time

import pytest

from conftest import INTEROP_CASES as CASES
from conftest import Server, python_server, run_client, run_swift_client, swift_server


@pytest.fixture(scope="module", params=["tls", "mtls"])
def python_client_outcomes(request, pki, interop_server_bin):
    """The grpcio interop client's outcomes against interop-server (which must then stop with status 0)."""
    mtls = request.param == "mtls"
    server = swift_server(interop_server_bin, pki, require_client_cert=mtls)
    try:
        result, outcomes = run_client(server.port, pki, mtls=mtls)
    finally:
        status = server.stop()
    assert set(outcomes) == set(CASES), result.stdout + result.stderr
    assert status == 0, server.process.stderr.read()
    return outcomes


@pytest.mark.parametrize("case", CASES)
def test_python_client_against_swift_server(python_client_outcomes, case):
    verdict, why = python_client_outcomes[case]
    assert verdict == "PASS", why


@pytest.fixture(scope="module", params=["tls", "mtls"])
def swift_client_outcomes(request, pki, interop_client_bin):
    """interop-client's outcomes against the grpcio interop server."""
    mtls = request.param == "mtls"
    server = python_server(pki, require_client_cert=mtls)
    try:
        result, outcomes = run_swift_client(interop_client_bin, server.port, pki, mtls=mtls)
    finally:
        server.stop()
    assert set(outcomes) == set(CASES), result.stdout + result.stderr
    assert result.returncode == (0 if all(v == "PASS" for v, _ in outcomes.values()) else 1)
    return outcomes


@pytest.mark.parametrize("case", CASES)
def test_swift_client_against_python_server(swift_client_outcomes, case):
    verdict, why = swift_client_outcomes[case]
    assert verdict == "PASS", why


def test_swift_server_refuses_client_without_certificate(pki, interop_server_bin):
    server = swift_server(interop_server_bin, pki, require_client_cert=True)
    try:
        result, outcomes = run_client(server.port, pki, case="empty_unary", mtls=False)
        # ... and keeps serving clients that have one.
        served, served_outcomes = run_client(server.port, pki, case="empty_unary", mtls=True)
    finally:
        server.stop()
    assert result.returncode == 1
    assert outcomes["empty_unary"][0] == "FAIL"
    assert "UNAVAILABLE" in outcomes["empty_unary"][1]
    assert served.returncode == 0, served.stdout + served.stderr
    assert served_outcomes["empty_unary"][0] == "PASS"


def test_swift_client_without_certificate_refused_by_python_server(pki, interop_client_bin):
    server = python_server(pki, require_client_cert=True)
    try:
        result, outcomes = run_swift_client(interop_client_bin, server.port, pki, case="empty_unary,large_unary")
    finally:
        server.stop()
    assert result.returncode == 1
    assert [verdict for verdict, _ in outcomes.values()] == ["FAIL", "FAIL"], result.stdout
    assert outcomes["empty_unary"][1].startswith("unavailable"), outcomes


def test_swift_client_runs_the_cases_asked_for(pki, interop_server_bin, interop_client_bin):
    server = swift_server(interop_server_bin, pki)
    try:
        result, outcomes = run_swift_client(interop_client_bin, server.port, pki, case="ping_pong,empty_unary")
    finally:
        server.stop()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["PASS ping_pong", "PASS empty_unary"]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_swift_server_stops_on_signal(pki, interop_server_bin, name):
    server = swift_server(interop_server_bin, pki)
    result, _ = run_client(server.port, pki, case="empty_unary")
    assert result.returncode == 0, result.stdout + result.stderr
    started = time.monotonic()
    server.process.send_signal(getattr(signal, name))
    status = server.process.wait(timeout=10)
    assert status == 0
    assert time.monotonic() - started < 6
    assert server.process.stderr.read() == f"interop-server: {name}: stopping\n"


def _run(argv):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=60)


def _assert_one_line_error(result, program, status, fragment):
    assert result.returncode == status, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{program}: error: "), lines[0]
    assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    "arguments, status, fragment",
    [
        (["--use_tls=true", "--cert", "{cert}", "--key", "{key}"], 64, "--port is required"),
        (["--port", "0", "--use_tls=false"], 64, "--use_tls=false is not supported"),
        (["--port", "0", "--cert", "{cert}"], 64, "--cert and --key are required"),
        (["--port", "70000", "--cert", "{cert}", "--key", "{key}"], 64, "port number"),
        (["--port", "0", "--cert", "{cert}", "--key", "{key}", "--require_client_cert=true"], 64, "needs --ca"),
        (["--port", "0", "--cert", "{cert}", "--key", "{key}", "--color", "blue"], 64, "unknown flag --color"),
        (["--port", "0", "--cert", "/nonexistent/server.pem", "--key", "{key}"], 66, "/nonexistent/server.pem"),
        (["--port", "0", "--cert", "{cert}", "--key", "{client_key}"], 78, "key values mismatch"),
    ],
)
def test_swift_server_command_line_errors(pki, interop_server_bin, arguments, status, fragment):
    files = {"cert": pki.server_cert, "key": pki.server_key, "client_key": pki.client_key}
    result = _run([interop_server_bin, *(a.format(**files) for a in arguments)])
    _assert_one_line_error(result, "interop-server", status, fragment)


def test_swift_server_port_in_use(pki, interop_server_bin):
    server = swift_server(interop_server_bin, pki)
    try:
        result = _run([interop_server_bin, "--port", server.port, "--host", "127.0.0.1", "--cert", pki.server_cert,
                       "--key", pki.server_key])
    finally:
        server.stop()
    _assert_one_line_error(result, "interop-server", 69, f"cannot serve on 127.0.0.1:{server.port}")


@pytest.mark.parametrize(
    "arguments, status, fragment",
    [
        (["--ca_file={ca}"], 64, "--server_port is required"),
        (["--server_port=1"], 64, "--ca_file is required"),
        (["--server_port=1", "--ca_file={ca}", "--test_case=large_unray"], 64, "unknown test case 'large_unray'"),
        (["--server_port=1", "--ca_file={ca}", "--use_tls=false"], 64, "--use_tls=false is not supported"),
        (["--server_port=1", "--ca_file={ca}", "--client_cert_file={ca}"], 64, "go together"),
        (["--server_port=1", "--ca_file=/nonexistent/ca.pem"], 66, "/nonexistent/ca.pem"),
        (["--server_port"], 64, "--server_port needs a value"),
    ],
)
def test_swift_client_command_line_errors(pki, interop_client_bin, arguments, status, fragment):
    result = _run([interop_client_bin, *(a.format(ca=pki.ca) for a in arguments)])
    _assert_one_line_error(result, "interop-client", status, fragment)


def test_swift_server_announces_the_port_it_was_given(pki, interop_server_bin):
    # Bind a free port first to learn one, then ask for it explicitly.
    probe = swift_server(interop_server_bin, pki)
    port = probe.port
    probe.stop()
    for _ in range(50):
        try:
            server = Server([str(interop_server_bin), "--port", str(port), "--host", "127.0.0.1",
                             "--cert", pki.server_cert, "--key", pki.server_key])
            break
        except RuntimeError:
            time.sleep(0.1)
    else:
        pytest.fail(f"could not listen on {port} again")
    try:
        assert server.port == port
    finally:
        server.stop()
