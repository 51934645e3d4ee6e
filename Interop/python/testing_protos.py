"""Generates the Python bindings of Interop/Proto/grpc/testing/*.proto at run time.

The bindings are compiled with grpc_tools.protoc into a temporary folder (nothing generated is
committed) and imported from there: `load()` returns (empty_pb2, messages_pb2, test_pb2,
test_pb2_grpc).
"""

import atexit
import importlib
import os
import shutil
import sys
import tempfile
import types

PROTO_ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "Proto"))
_FILES = ["grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto"]
_loaded = None


def load():
    """Compiles the protos once per process and returns the generated modules."""
    global _loaded
    if _loaded is not None:
        return _loaded
    from grpc_tools import protoc
    import grpc_tools

    out = tempfile.mkdtemp(prefix="sehc-interop-pb-")
    atexit.register(shutil.rmtree, out, True)
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    args = ["protoc", f"-I{PROTO_ROOT}", f"-I{well_known}", f"--python_out={out}", f"--grpc_python_out={out}"]
    if protoc.main(args + _FILES) != 0:
        raise RuntimeError("grpc_tools.protoc failed on " + ", ".join(_FILES))
    # The generated modules live in package `grpc.testing`, but `grpc` is grpcio's own package:
    # graft a `grpc.testing` package whose path is the generated folder onto it.
    import grpc

    package = types.ModuleType("grpc.testing")
    package.__path__ = [os.path.join(out, "grpc", "testing")]
    sys.modules["grpc.testing"] = package
    grpc.testing = package
    _loaded = (
        importlib.import_module("grpc.testing.empty_pb2"),
        importlib.import_module("grpc.testing.messages_pb2"),
        importlib.import_module("grpc.testing.test_pb2"),
        importlib.import_module("grpc.testing.test_pb2_grpc"),
    )
    return _loaded
