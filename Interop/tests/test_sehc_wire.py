"""`sehc wire` against stock Python protobuf: the CLI's JSON is exactly json_format's, and what it
encodes parses in Python to the same message; bad input fails with one line and the documented exit
status."""

import json
import pathlib
import subprocess

import pytest
from google.protobuf import descriptor_pool, json_format, message_factory

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = [v for v in json.loads((ROOT / "Interop/vectors/messages.json").read_text(encoding="utf-8"))["vectors"]
           if v["name"] == "edge"]


def message_class(type_name):
    return message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(type_name))


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["type"])
def test_decode_prints_python_json(proto_modules, sehc_bin, vector):
    raw = bytes.fromhex(vector["hex"])
    result = subprocess.run([sehc_bin, "wire", "decode", "--type", vector["type"]], input=raw,
                            capture_output=True, check=True)
    expected = json_format.MessageToJson(message_class(vector["type"]).FromString(raw), ensure_ascii=False)
    assert result.stdout.decode("utf-8") == expected + "\n"


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v["type"])
def test_encode_gives_python_bytes(proto_modules, sehc_bin, vector):
    pretty = json_format.MessageToJson(message_class(vector["type"]).FromString(bytes.fromhex(vector["hex"])))
    result = subprocess.run([sehc_bin, "wire", "encode", "--type", vector["type"]], input=pretty.encode(),
                            capture_output=True, check=True)
    assert result.stdout == bytes.fromhex(vector["hex"])


def run(sehc_bin, *args, stdin=b""):
    return subprocess.run([sehc_bin, "wire", *args], input=stdin, capture_output=True)


def test_unknown_type_is_a_usage_error(sehc_bin):
    result = run(sehc_bin, "decode", "--type", "sehc.v1.Nope")
    assert result.returncode == 64
    assert result.stderr.decode().count("\n") == 1
    assert "unknown message type \"sehc.v1.Nope\"" in result.stderr.decode()


def test_bad_bytes_are_a_data_error(sehc_bin):
    result = run(sehc_bin, "decode", "--type", "sehc.v1.TransactionBody", stdin=b"\x0a\x05ab")
    assert result.returncode == 65
    assert result.stderr.decode() == (
        "sehc wire decode: error: input is not a valid sehc.v1.TransactionBody: sehc.v1.TransactionBody.chain_id "
        "at byte 1: length-delimited field of 5 bytes, but only 2 bytes are left\n")


def test_bad_json_is_a_data_error(sehc_bin):
    result = run(sehc_bin, "encode", "--type", "sehc.v1.Transfer", "--hex", stdin=b'{"amount": "x"}')
    assert result.returncode == 65
    assert "sehc.v1.Transfer.amount: \"x\" is not an integer" in result.stderr.decode()


def test_missing_input_file(sehc_bin, tmp_path):
    result = run(sehc_bin, "decode", "--type", "sehc.v1.Transfer", "--input", str(tmp_path / "absent.bin"))
    assert result.returncode == 66
    assert "no such file" in result.stderr.decode()


def test_types_lists_every_message(sehc_bin):
    names = subprocess.run([sehc_bin, "wire", "types"], capture_output=True, check=True, text=True).stdout.split()
    assert "sehc.v1.TransactionBody" in names and "grpc.health.v1.HealthCheckRequest" in names
    assert names == sorted(names)
