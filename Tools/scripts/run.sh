#!/usr/bin/env bash
# The main job. Until the node and `sehc devnet` exist, this runs the most complete thing that does:
# a walk through the wire and identity layers with the real command-line tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product sehc 2>&1 | grep -E "error|warning: unre" || true
BIN=$(swift build --show-bin-path)
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

echo "make run: the node and 'sehc devnet' are not built yet (issues 5-7); this walks through what exists:"
echo "the consortium CA, node and client certificates, keys, and the wire format of a signed transaction."

say "1. A consortium CA, a validator certificate and a client certificate (sehc ca / sehc cert)"
"$BIN/sehc" ca init --dir "$DIR/ca"
"$BIN/sehc" cert issue --ca "$DIR/ca" --node --name node-1 --host localhost --host 127.0.0.1 --out "$DIR/certs"
"$BIN/sehc" cert issue --ca "$DIR/ca" --client --name alice --key-type p256 --out "$DIR/certs"
"$BIN/sehc" cert show "$DIR/certs/node-1.pem"
openssl verify -CAfile "$DIR/ca/ca.pem" "$DIR/certs/node-1.pem" "$DIR/certs/alice.pem"

say "2. A patient's signing key (sehc keygen)"
"$BIN/sehc" keygen --out "$DIR/patient.key"

say "3. A transaction body as canonical JSON, encoded with protobuf-c and decoded again (sehc wire)"
cat > "$DIR/tx.json" <<'JSON'
{"chainId": "sehc-devnet", "sender": "6qnG18kfjUqe/XvuQ92BGdTpgcE=", "nonce": "1",
 "grantAccess": {"grantee": "5tg9maCbuXNIRbXKI91+sp+5AVQ=", "expiresAtMs": "1795536000000"}}
JSON
"$BIN/sehc" wire encode --type sehc.v1.TransactionBody --input "$DIR/tx.json" --hex
"$BIN/sehc" wire encode --type sehc.v1.TransactionBody --input "$DIR/tx.json" --output "$DIR/tx.bin"
"$BIN/sehc" wire decode --type sehc.v1.TransactionBody --input "$DIR/tx.bin"

say "Done. 'make test' runs every test; Interop/README.md shows how other languages use the vectors."
