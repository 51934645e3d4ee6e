#!/usr/bin/env bash
# Every test: generated code is current, Swift tests of every module, Python interop tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n==> %s\n' "$*"; }

step "generated code is current (Tools/scripts/generate.sh --check)"
Tools/scripts/generate.sh --check

step "swift build --build-tests"
swift build --build-tests
SEHC_BIN_DIR=$(swift build --show-bin-path)
export SEHC_BIN_DIR

step "swift test"
swift test --skip-build

step "wire decoding torture under AddressSanitizer and LeakSanitizer"
Tools/scripts/asan.sh

if compgen -G "Interop/tests/test_*.py" >/dev/null; then
  step "Python interop tests (pytest)"
  .venv/bin/python -m pytest -q Interop/tests
fi
echo
echo "all tests passed"
