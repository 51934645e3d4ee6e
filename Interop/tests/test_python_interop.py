"""The Python interop client against the Python interop server over TLS and mutual TLS, with a CA
made at test time: proves the Python side before it meets the Swift side."""

import pytest

from conftest import INTEROP_CASES as CASES
from conftest import python_server, run_client


@pytest.fixture(scope="module", params=["tls", "mtls"])
def outcomes(request, pki):
    mtls = request.param == "mtls"
    server = python_server(pki, require_client_cert=mtls)
    try:
        result, outcomes = run_client(server.port, pki, mtls=mtls)
    finally:
        server.stop()
    assert set(outcomes) == set(CASES), result.stdout + result.stderr
    return outcomes


@pytest.mark.parametrize("case", CASES)
def test_case(outcomes, case):
    verdict, why = outcomes[case]
    assert verdict == "PASS", why


def test_mtls_server_refuses_client_without_certificate(pki):
    server = python_server(pki, require_client_cert=True)
    try:
        result, outcomes = run_client(server.port, pki, case="empty_unary", mtls=False)
    finally:
        server.stop()
    assert result.returncode == 1
    assert outcomes["empty_unary"][0] == "FAIL"
    assert "UNAVAILABLE" in outcomes["empty_unary"][1]
