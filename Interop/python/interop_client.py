#!/usr/bin/env python3
"""A gRPC interop client on stock grpcio: the 14 portable official cases, by their names.

    interop_client.py --server_host=127.0.0.1 --server_port=N --test_case=empty_unary|...|all
        [--use_tls=true (--use_test_ca=true --ca_file=FILE) --server_host_override=NAME]
        [--client_cert_file=FILE --client_key_file=FILE]

Same flags and case names as grpc's interop client. Prints one `PASS case` or `FAIL case: why`
line per case and exits non-zero if any case failed.
"""

import argparse
import queue
import sys
import threading

import grpc

import testing_protos

empty_pb2, messages_pb2, test_pb2, test_pb2_grpc = testing_protos.load()

REQUEST_SIZES = [27182, 8, 1828, 45904]
RESPONSE_SIZES = [31415, 9, 2653, 58979]
SPECIAL_MESSAGE = "\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n"
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\x0a\x0b\x0a\x0b\x0a\x0b")


class CaseFailure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise CaseFailure(message)


def payload(size):
    return messages_pb2.Payload(body=b"\x00" * size)


def expect_code(call_or_error, code, details=None):
    actual = call_or_error.code()
    check(actual == code, f"expected {code}, got {actual} ({call_or_error.details()!r})")
    if details is not None:
        check(call_or_error.details() == details, f"expected details {details!r}, got {call_or_error.details()!r}")


class Pipe:
    """A request iterator fed from another thread, for the lock-step duplex cases."""

    _END = object()

    def __init__(self):
        self._queue = queue.Queue()

    def add(self, item):
        self._queue.put(item)

    def close(self):
        self._queue.put(self._END)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._queue.get()
        if item is self._END:
            raise StopIteration
        return item


def empty_unary(stub, _):
    response = stub.EmptyCall(empty_pb2.Empty())
    check(isinstance(response, empty_pb2.Empty), "response is not an Empty")


def large_unary(stub, _):
    response = stub.UnaryCall(messages_pb2.SimpleRequest(response_size=314159, payload=payload(271828)))
    check(len(response.payload.body) == 314159, f"response body has {len(response.payload.body)} bytes")


def client_streaming(stub, _):
    requests = (messages_pb2.StreamingInputCallRequest(payload=payload(size)) for size in REQUEST_SIZES)
    response = stub.StreamingInputCall(requests)
    check(response.aggregated_payload_size == 74922, f"aggregated {response.aggregated_payload_size}")


def server_streaming(stub, _):
    request = messages_pb2.StreamingOutputCallRequest(
        response_parameters=[messages_pb2.ResponseParameters(size=size) for size in RESPONSE_SIZES]
    )
    sizes = [len(response.payload.body) for response in stub.StreamingOutputCall(request)]
    check(sizes == RESPONSE_SIZES, f"response sizes {sizes}")


def ping_pong(stub, _):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe)
    for request_size, response_size in zip(REQUEST_SIZES, RESPONSE_SIZES):
        pipe.add(
            messages_pb2.StreamingOutputCallRequest(
                response_parameters=[messages_pb2.ResponseParameters(size=response_size)],
                payload=payload(request_size),
            )
        )
        response = next(responses)
        check(len(response.payload.body) == response_size, f"response of {len(response.payload.body)} bytes")
    pipe.close()
    check(next(responses, None) is None, "more responses than requests")


def empty_stream(stub, _):
    responses = list(stub.FullDuplexCall(iter([])))
    check(responses == [], f"{len(responses)} responses to an empty stream")


def cancel_after_begin(stub, _):
    pipe = Pipe()  # never fed: the call is cancelled before any message
    future = stub.StreamingInputCall.future(pipe)
    future.cancel()
    check(future.cancelled(), "the call was not cancelled")
    expect_code(future, grpc.StatusCode.CANCELLED)


def cancel_after_first_response(stub, _):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe)
    pipe.add(
        messages_pb2.StreamingOutputCallRequest(
            response_parameters=[messages_pb2.ResponseParameters(size=31415)], payload=payload(27182)
        )
    )
    response = next(responses)
    check(len(response.payload.body) == 31415, "first response has the wrong size")
    responses.cancel()
    try:
        next(responses)
        raise CaseFailure("a response after cancel")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.CANCELLED)


def timeout_on_sleeping_server(stub, _):
    pipe = Pipe()
    responses = stub.FullDuplexCall(pipe, timeout=0.001)
    pipe.add(messages_pb2.StreamingOutputCallRequest(payload=payload(27182)))
    try:
        next(responses)
        raise CaseFailure("a response despite the 1 ms deadline")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        pipe.close()


def status_code_and_message(stub, _):
    status = messages_pb2.EchoStatus(code=2, message="test status message")
    try:
        stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status))
        raise CaseFailure("UnaryCall succeeded")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.UNKNOWN, "test status message")
    responses = stub.FullDuplexCall(iter([messages_pb2.StreamingOutputCallRequest(response_status=status)]))
    try:
        list(responses)
        raise CaseFailure("FullDuplexCall succeeded")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.UNKNOWN, "test status message")


def special_status_message(stub, _):
    status = messages_pb2.EchoStatus(code=2, message=SPECIAL_MESSAGE)
    try:
        stub.UnaryCall(messages_pb2.SimpleRequest(response_status=status))
        raise CaseFailure("UnaryCall succeeded")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.UNKNOWN, SPECIAL_MESSAGE)


def custom_metadata(stub, _):
    metadata = (ECHO_INITIAL, ECHO_TRAILING)
    request = messages_pb2.SimpleRequest(response_size=314159, payload=payload(271828))
    _, call = stub.UnaryCall.with_call(request, metadata=metadata)
    _check_echo(call.initial_metadata(), call.trailing_metadata())
    responses = stub.FullDuplexCall(
        iter(
            [
                messages_pb2.StreamingOutputCallRequest(
                    response_parameters=[messages_pb2.ResponseParameters(size=314159)], payload=payload(271828)
                )
            ]
        ),
        metadata=metadata,
    )
    for _ in responses:
        pass
    _check_echo(responses.initial_metadata(), responses.trailing_metadata())


def _check_echo(initial, trailing):
    check(ECHO_INITIAL in tuple(initial), f"initial metadata {initial!r}")
    check(ECHO_TRAILING in tuple(trailing), f"trailing metadata {trailing!r}")


def unimplemented_method(stub, _):
    try:
        stub.UnimplementedCall(empty_pb2.Empty())
        raise CaseFailure("UnimplementedCall succeeded")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.UNIMPLEMENTED)


def unimplemented_service(_, channel):
    try:
        test_pb2_grpc.UnimplementedServiceStub(channel).UnimplementedCall(empty_pb2.Empty())
        raise CaseFailure("UnimplementedService.UnimplementedCall succeeded")
    except grpc.RpcError as error:
        expect_code(error, grpc.StatusCode.UNIMPLEMENTED)


CASES = {
    case.__name__: case
    for case in [
        empty_unary,
        large_unary,
        client_streaming,
        server_streaming,
        ping_pong,
        empty_stream,
        cancel_after_begin,
        cancel_after_first_response,
        timeout_on_sleeping_server,
        status_code_and_message,
        special_status_message,
        custom_metadata,
        unimplemented_method,
        unimplemented_service,
    ]
}


def _flag(value):
    return str(value).lower() in ("1", "true", "yes")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def make_channel(args):
    target = f"{args.server_host}:{args.server_port}"
    if not _flag(args.use_tls):
        return grpc.insecure_channel(target)
    roots = _read(args.ca_file) if _flag(args.use_test_ca) or args.ca_file else None
    key = _read(args.client_key_file) if args.client_key_file else None
    chain = _read(args.client_cert_file) if args.client_cert_file else None
    credentials = grpc.ssl_channel_credentials(root_certificates=roots, private_key=key, certificate_chain=chain)
    options = []
    if args.server_host_override:
        options.append(("grpc.ssl_target_name_override", args.server_host_override))
    return grpc.secure_channel(target, credentials, options=options)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server_host", default="127.0.0.1")
    parser.add_argument("--server_port", type=int, required=True)
    parser.add_argument("--test_case", default="all")
    parser.add_argument("--use_tls", default="false")
    parser.add_argument("--use_test_ca", default="false")
    parser.add_argument("--ca_file")
    parser.add_argument("--server_host_override")
    parser.add_argument("--client_cert_file")
    parser.add_argument("--client_key_file")
    args = parser.parse_args(argv)

    names = list(CASES) if args.test_case == "all" else args.test_case.split(",")
    unknown = [name for name in names if name not in CASES]
    if unknown:
        parser.error(f"unknown test case(s): {', '.join(unknown)}")
    failures = 0
    with make_channel(args) as channel:
        stub = test_pb2_grpc.TestServiceStub(channel)
        for name in names:
            try:
                CASES[name](stub, channel)
                print(f"PASS {name}", flush=True)
            except (CaseFailure, grpc.RpcError) as error:
                failures += 1
                detail = f"{error.code()} {error.details()!r}" if isinstance(error, grpc.RpcError) else str(error)
                print(f"FAIL {name}: {detail}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
