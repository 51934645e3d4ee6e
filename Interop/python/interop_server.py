#!/usr/bin/env python3
"""A grpc.testing TestService server on stock grpcio, for the interop cases.

    interop_server.py --port N [--use_tls=true --cert FILE --key FILE [--ca FILE --require_client_cert=true]]

Prints `listening on N` once it serves (N is the bound port; --port 0 picks a free one) and runs
until killed. Implements EmptyCall, UnaryCall, StreamingInputCall, StreamingOutputCall,
FullDuplexCall and HalfDuplexCall with the interop behaviours (response sizes, `interval_us`,
echoed status and metadata); UnimplementedCall is left unimplemented on purpose.
"""

import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

import testing_protos

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = testing_protos.load()

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def _payload(size):
    return messages_pb2.Payload(body=b"\x00" * size)


def _echo_metadata(context):
    """Echoes the interop metadata keys: initial as initial metadata, -bin as trailers."""
    incoming = dict(context.invocation_metadata())
    if ECHO_INITIAL in incoming:
        context.send_initial_metadata(((ECHO_INITIAL, incoming[ECHO_INITIAL]),))
    if ECHO_TRAILING in incoming:
        context.set_trailing_metadata(((ECHO_TRAILING, incoming[ECHO_TRAILING]),))


def _maybe_fail(status, context):
    """Ends the call with the requested status if the request carries one."""
    if status is not None and status.code != 0:
        context.abort(grpc.StatusCode(_code(status.code)), status.message)


def _code(number):
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value
    return grpc.StatusCode.UNKNOWN.value


class TestService(test_pb2_grpc.TestServiceServicer):
    def EmptyCall(self, request, context):
        _echo_metadata(context)
        return empty_pb2.Empty()

    def UnaryCall(self, request, context):
        _echo_metadata(context)
        if request.HasField("response_status"):
            _maybe_fail(request.response_status, context)
        return messages_pb2.SimpleResponse(payload=_payload(request.response_size))

    def CacheableUnaryCall(self, request, context):
        return self.UnaryCall(request, context)

    def StreamingOutputCall(self, request, context):
        _echo_metadata(context)
        for parameters in request.response_parameters:
            if parameters.interval_us > 0:
                time.sleep(parameters.interval_us / 1e6)
            yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))
        if request.HasField("response_status"):
            _maybe_fail(request.response_status, context)

    def StreamingInputCall(self, request_iterator, context):
        _echo_metadata(context)
        total = sum(len(request.payload.body) for request in request_iterator)
        return messages_pb2.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        _echo_metadata(context)
        for request in request_iterator:
            if request.HasField("response_status"):
                _maybe_fail(request.response_status, context)
            for parameters in request.response_parameters:
                if parameters.interval_us > 0:
                    time.sleep(parameters.interval_us / 1e6)
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))

    def HalfDuplexCall(self, request_iterator, context):
        requests = list(request_iterator)
        for request in requests:
            for parameters in request.response_parameters:
                yield messages_pb2.StreamingOutputCallResponse(payload=_payload(parameters.size))


def _flag(value):
    return str(value).lower() in ("1", "true", "yes")


def _unblock_signals():
    """A parent may start us with SIGTERM blocked (inherited signal mask): let it stop us."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


def serve(argv=None):
    _unblock_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--use_tls", default="false")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--require_client_cert", default="false")
    args = parser.parse_args(argv)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    test_pb2_grpc.add_TestServiceServicer_to_server(TestService(), server)
    address = f"{args.host}:{args.port}"
    if _flag(args.use_tls):
        with open(args.key, "rb") as f:
            key = f.read()
        with open(args.cert, "rb") as f:
            chain = f.read()
        roots = None
        if args.ca:
            with open(args.ca, "rb") as f:
                roots = f.read()
        credentials = grpc.ssl_server_credentials(
            [(key, chain)], root_certificates=roots, require_client_auth=_flag(args.require_client_cert)
        )
        port = server.add_secure_port(address, credentials)
    else:
        port = server.add_insecure_port(address)
    server.start()
    print(f"listening on {port}", flush=True)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    server.stop(grace=None)


if __name__ == "__main__":
    sys.exit(serve())
