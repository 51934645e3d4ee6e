#!/usr/bin/env bash
# Benchmarks, each printing its ratio to an anchor measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "bench: no benchmarks yet"
