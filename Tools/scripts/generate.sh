#!/usr/bin/env bash
# Regenerates every generated file from Proto/ byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "generate: nothing is generated yet"
