#!/usr/bin/env bash
# Benchmarks, each printing its ratio to an anchor measured in the same run (release builds).
# BENCH=name limits the run to one benchmark (e.g. BENCH=wire make bench); BENCH_MARKDOWN=1 prints
# Markdown rows for the README's performance section.
set -euo pipefail
cd "$(dirname "$0")/../.."
PKG=Tools/Benchmarks
BENCHES=(bench-wire bench-crypto bench-rpc bench-ledger bench-node)  # executables of Tools/Benchmarks
if [ ${#BENCHES[@]} -eq 0 ]; then echo "bench: no benchmarks yet"; exit 0; fi
swift build -c release --package-path "$PKG"
BIN=$(swift build -c release --package-path "$PKG" --show-bin-path)
for b in "${BENCHES[@]}"; do
  if [ -n "${BENCH:-}" ] && [ "bench-$BENCH" != "$b" ]; then continue; fi
  echo "==> $b"
  "$BIN/$b"
done
