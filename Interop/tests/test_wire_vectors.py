"""Checks every message vector of Interop/vectors/messages.json with stock Python protobuf, both ways:
bytes -> message -> canonical JSON equals the vector's JSON exactly, and JSON -> message -> bytes
equals the vector's bytes exactly."""

import json
import pathlib

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "Interop/vectors/messages.json").read_text(encoding="utf-8"))["vectors"]


def message_class(type_name):
    return message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(type_name))


def compact(message):
    return json.dumps(json_format.MessageToDict(message), separators=(",", ":"), ensure_ascii=False)


def test_every_message_type_has_vectors(proto_modules):
    names = set()
    for module in proto_modules.values():
        def walk(descriptor):
            names.add(descriptor.full_name)
            for nested in descriptor.nested_types:
                walk(nested)
        for descriptor in module.DESCRIPTOR.message_types_by_name.values():
            walk(descriptor)
    covered = {v["type"] for v in VECTORS}
    assert names - covered == set(), f"message types without vectors: {sorted(names - covered)}"
    # Every oneof member appears set in some vector.
    for name in names:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
        for oneof in descriptor.oneofs:
            for field in oneof.fields:
                assert any(
                    v["type"] == name and message_class(name).FromString(bytes.fromhex(v["hex"])).WhichOneof(oneof.name)
                    == field.name for v in VECTORS
                ), f"{name}.{field.name} is set in no vector"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['type']}:{v['name']}")
def test_bytes_to_json(proto_modules, vector):
    message = message_class(vector["type"]).FromString(bytes.fromhex(vector["hex"]))
    assert compact(message) == vector["json"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['type']}:{v['name']}")
def test_json_to_bytes(proto_modules, vector):
    message = json_format.Parse(vector["json"], message_class(vector["type"])())
    assert message.SerializeToString(deterministic=True).hex() == vector["hex"]
