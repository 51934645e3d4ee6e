#!/usr/bin/env bash
# Runs the wire decoding torture (Tools/WireTorture) built with AddressSanitizer, which on Linux includes
# LeakSanitizer: any crash, out-of-bounds access, use after free or leak fails it. Its own build folder
# (.build-asan) keeps the sanitized objects apart from the normal build.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --sanitize=address --scratch-path .build-asan --product wire-torture 2>&1 | grep -vE "^\[|^Building|warning: 'main'" || true
BIN=$(swift build --sanitize=address --scratch-path .build-asan --show-bin-path)
SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$BIN/wire-torture" Interop/vectors/messages.json "${1:-1}"
