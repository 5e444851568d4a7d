#!/usr/bin/env bash
# Sets up a fresh machine for tinyctl: the Debian toolchain packages, a virtual environment, the Python packages.
# Idempotent: each step checks before it acts. Usage: scripts/setup.sh [VENV_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"
PYTHON="${PYTHON:-python3}"
APT_PACKAGES="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gdb-multiarch"
EXTRAS="dev,train,mpc,yann,sims,cert,bench"

missing=""
command -v arm-none-eabi-gcc >/dev/null || missing="$missing gcc-arm-none-eabi"
[ -e /usr/lib/arm-none-eabi/newlib ] || [ -e /usr/lib/arm-none-eabi/lib ] || missing="$missing libnewlib-arm-none-eabi"
command -v qemu-system-arm >/dev/null || missing="$missing qemu-system-arm"
command -v gdb-multiarch >/dev/null || missing="$missing gdb-multiarch"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages:$missing"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $APT_PACKAGES
  else
    echo "setup: missing Debian packages:$missing" >&2
    echo "setup: run as root, or install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends $APT_PACKAGES" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating the virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.tinyctl-installed"
want="$(cat pyproject.toml setup.py | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing tinyctl with extras [$EXTRAS] into $VENV"
  # torch==2.13.0 (extra train) is the CPU build; no range is asked for that could pull a newer one.
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]"
  echo "$want" > "$stamp"
fi
