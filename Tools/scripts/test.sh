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

# The randomized consensus runs (SimulationTests) keep both cores busy for minutes; run beside them, the
# loopback network tests (TLS, RPC, nodes, metrics) miss their timeouts. So they run after the others.
step "swift test (every target but SimulationTests)"
swift test --skip-build --skip SimulationTests

step "swift test (SimulationTests: randomized consensus runs, sehc simulate, calculator)"
swift test --skip-build --filter SimulationTests

step "wire decoding torture under AddressSanitizer and LeakSanitizer"
Tools/scripts/asan.sh

if compgen -G "Interop/tests/test_*.py" >/dev/null; then
  step "Python interop tests (pytest)"
  .venv/bin/python -m pytest -q Interop/tests
fi
echo
echo "all tests passed"
