#!/usr/bin/env python3
"""Stock grpcio, with raw-bytes (serializer-less) calls, against the Swift transport's test service
`sehc.test.Echo`.

    raw_peer.py client --port N --ca FILE [--cert FILE --key FILE] [--override NAME]
        runs every scenario against a Swift server and prints one JSON object with the outcomes.
    raw_peer.py server --ca FILE --cert FILE --key FILE [--require_client_cert]
        serves sehc.test.Echo (Unary, Collect, Expand, Chat, Fail, Sleep) with generic handlers and
        prints `listening on N`.
"""

import argparse
import json
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "sehc.test.Echo"


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _error(error):
    return {"code": error.code().name, "details": error.details()}


def run_client(args):
    key = _read(args.key) if args.key else None
    chain = _read(args.cert) if args.cert else None
    credentials = grpc.ssl_channel_credentials(root_certificates=_read(args.ca), private_key=key,
                                               certificate_chain=chain)
    options = [("grpc.ssl_target_name_override", args.override), ("grpc.max_receive_message_length", 8 << 20)]
    results = {}
    with grpc.secure_channel(f"127.0.0.1:{args.port}", credentials, options=options) as channel:
        def method(kind, name):
            return getattr(channel, kind)(f"/{SERVICE}/{name}")

        def attempt(name, call):
            try:
                results[name] = call()
            except grpc.RpcError as error:
                results[name] = _error(error)

        def unary():
            response, call = method("unary_unary", "Unary").with_call(
                b"hello from grpcio", metadata=(("x-token", "abc"), ("x-blob-bin", b"\x00\x01\xfa")))
            return {"body": response.decode(), "initial": [list(map(_text, kv)) for kv in call.initial_metadata()],
                    "trailing": [list(map(_text, kv)) for kv in call.trailing_metadata()]}

        attempt("unary", unary)
        attempt("collect", lambda: method("stream_unary", "Collect")(iter([b"a", b"bb", b"ccc"])).decode())
        attempt("expand", lambda: [len(m) for m in method("unary_stream", "Expand")(b"3,1000")])
        attempt("chat", lambda: [m.decode() for m in method("stream_stream", "Chat")(
            iter([f"m{i}".encode() for i in range(20)]))])
        attempt("fail", lambda: method("unary_unary", "Fail")("3:bad ☺ input%".encode()))
        attempt("unknown", lambda: method("unary_unary", "NoSuchMethod")(b"x"))
        attempt("too_big", lambda: len(method("unary_unary", "Unary")(b"\x01" * ((1 << 20) + 1))))
        attempt("at_limit", lambda: len(method("unary_unary", "Unary")(b"\x01" * (1 << 20))))
        attempt("deadline", lambda: method("unary_unary", "Sleep")(b"5000", timeout=0.2))
        attempt("large", lambda: len(method("unary_unary", "Big")(b"3000000")))
        attempt("after", lambda: method("unary_unary", "Unary")(b"still serving").decode())
    print(json.dumps(results), flush=True)
    return 0


def _text(value):
    return value.hex() if isinstance(value, bytes) else value


def _unary(request, context):
    initial = [(k, v) for k, v in context.invocation_metadata() if k.startswith("x-")]
    context.send_initial_metadata(initial)
    context.set_trailing_metadata((("x-trailer-bin", b"\x01\x02\xff"),))
    return request


def _collect(requests, context):
    return b"".join(requests)


def _expand(request, context):
    count, size = (int(x) for x in request.decode().split(",")[:2])
    for i in range(count):
        yield bytes([i % 256]) * size


def _chat(requests, context):
    for request in requests:
        yield request


def _fail(request, context):
    code, _, message = request.decode().partition(":")
    status = next(c for c in grpc.StatusCode if c.value[0] == int(code))
    context.abort(status, message)


def _sleep(request, context):
    time.sleep(int(request.decode()) / 1000)
    return request


def _big(request, context):
    return b"\x07" * int(request.decode())


def run_server(args):
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(_unary),
        "Collect": grpc.stream_unary_rpc_method_handler(_collect),
        "Expand": grpc.unary_stream_rpc_method_handler(_expand),
        "Chat": grpc.stream_stream_rpc_method_handler(_chat),
        "Fail": grpc.unary_unary_rpc_method_handler(_fail),
        "Sleep": grpc.unary_unary_rpc_method_handler(_sleep),
        "Big": grpc.unary_unary_rpc_method_handler(_big),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         options=[("grpc.max_receive_message_length", 1 << 20),
                                  ("grpc.max_send_message_length", 16 << 20)])
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    credentials = grpc.ssl_server_credentials([(_read(args.key), _read(args.cert))], root_certificates=_read(args.ca),
                                              require_client_auth=args.require_client_cert)
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    print(f"listening on {port}", flush=True)
    threading.Event().wait()


def _unblock_signals():
    """A parent may start us with SIGTERM blocked (inherited signal mask): let it stop us."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


def main(argv=None):
    _unblock_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["client", "server"])
    parser.add_argument("--port", type=int)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--override", default="localhost")
    parser.add_argument("--require_client_cert", action="store_true")
    args = parser.parse_args(argv)
    return run_client(args) if args.mode == "client" else run_server(args)


if __name__ == "__main__":
    sys.exit(main())
