#!/usr/bin/env bash
# Installs what a fresh machine lacks and does nothing for what is already there:
#   setup.sh apt     Debian packages (after apt-get update, only when one is missing)
#   setup.sh venv    the Python virtual environment in .venv (rebuilt when Interop/requirements.txt changes)
set -euo pipefail
cd "$(dirname "$0")/../.."

APT_PACKAGES=(
  pkg-config libssl-dev openssl
  protobuf-compiler libprotobuf-dev protobuf-c-compiler libprotobuf-c-dev
  libsqlite3-dev
)

apt_setup() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

venv_setup() {
  local req=Interop/requirements.txt stamp=.venv/.requirements.sha256
  local want
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  echo "setup: creating the Python virtual environment .venv from $req"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r "$req"
  echo "$want" > "$stamp"
}

for what in "$@"; do
  case "$what" in
    apt) apt_setup ;;
    venv) venv_setup ;;
    *) echo "setup.sh: unknown step '$what' (use apt or venv)" >&2; exit 2 ;;
  esac
done
