#!/usr/bin/env bash
# Install what shmfuzz needs from Debian's packages, idempotently.
# Says what it does; installs only what is missing; needs root (or sudo) only then.
#   scripts/setup-deps.sh           what building, campaigns and reports need
#   scripts/setup-deps.sh --tests   also what only the tests need (Chromium, which
#                                   opens the campaign pages in tests/report/browser.py;
#                                   clang-format, for scripts/check-format.sh)
set -euo pipefail

PACKAGES=(cmake make pkg-config clang libclang-rt-14-dev llvm gdb libjansson-dev nettle-dev libdw-dev libcmocka-dev
          afl++ python3 python3-jsonschema git zip libjs-chart.js)
TEST_PACKAGES=(chromium clang-format)

usage() {
  echo "usage: scripts/setup-deps.sh [--tests]  install the Debian packages shmfuzz needs (idempotent);"
  echo "       --tests also installs what only the tests need (chromium, clang-format)"
}
case "$#:${1:-}" in
  0:) ;;
  1:--tests) PACKAGES+=("${TEST_PACKAGES[@]}") ;;
  1:-h|1:--help) usage; exit 0 ;;
  *:-*) echo "setup-deps: unknown option '$1' (see --help)" >&2; exit 2 ;;
  *) echo "setup-deps: unexpected argument '$1' (see --help)" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep "install ok installed" >/dev/null; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  [ -n "${SHMF_QUIET:-}" ] || echo "setup-deps: all dependencies present"
  exit 0
fi

echo "setup-deps: installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-deps: need root to install: ${missing[*]}" >&2; exit 2; fi
fi
stamp=/var/lib/apt/periodic/shmfuzz-update-stamp
if [ ! -e "$stamp" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
  echo "setup-deps: apt-get update"
  $SUDO apt-get update -qq
  $SUDO mkdir -p "$(dirname "$stamp")" && $SUDO touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-deps: done"
