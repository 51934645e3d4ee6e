"""Shared fixtures: Python bindings generated from Proto/ at test time, and the built sehc binaries."""

import importlib
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

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


@pytest.fixture(scope="session")
def sehc_bin():
    """Path of the sehc binary built by `swift build` (SEHC_BIN_DIR is set by Tools/scripts/test.sh)."""
    bin_dir = os.environ.get("SEHC_BIN_DIR")
    if not bin_dir:
        bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()
    path = pathlib.Path(bin_dir) / "sehc"
    if not path.exists():
        pytest.fail(f"{path} does not exist; run `swift build` first (make test does)")
    return path
