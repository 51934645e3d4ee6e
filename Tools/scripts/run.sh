#!/usr/bin/env bash
# The main job. Until the node exists this runs the most complete thing that exists, and says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product sehc
BIN=$(swift build --show-bin-path)
echo "make run: the node and 'sehc devnet' do not exist yet; showing the command line that does."
"$BIN/sehc" --help
