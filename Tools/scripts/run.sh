#!/usr/bin/env bash
# The main job: a local network of 8 validators in 2 shards on loopback (sehc devnet, on the embedded
# defaults), with the demo workload: participants, records, an image upload and download, request and
# approval, a cross-shard grant. It keeps running until Ctrl-C. DEVNET_ARGS adds flags, for example
# DEVNET_ARGS="--exit" to stop after the demo summary, or DEVNET_ARGS="--fresh" to start over.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "==> swift build --product sehc (a first build takes several minutes)"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
if ! swift build --product sehc >"$LOG" 2>&1; then
  grep -E "error:" "$LOG" | sort -u | head -20 || tail -30 "$LOG"
  echo "make run: swift build failed (full log above or in: swift build --product sehc)" >&2
  exit 1
fi
BIN=$(swift build --show-bin-path)
# shellcheck disable=SC2086
"$BIN/sehc" devnet --dir devnet --demo ${DEVNET_ARGS:-}
