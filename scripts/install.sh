#!/usr/bin/env bash
# Installs everything riscade needs on a fresh Debian 12 machine (as root), then the project.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v qemu-riscv64 >/dev/null || need+=(qemu-user)
command -v nim >/dev/null || need+=(nim)
command -v bwrap >/dev/null || need+=(bubblewrap)  # every mod build runs in bubblewrap
command -v llvm-objcopy >/dev/null || need+=(llvm)  # splits mods' debug info off
command -v gdb-multiarch >/dev/null || need+=(gdb-multiarch)  # debugging mods (and its tests)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
python -m pip install -q -e '.[test,bench]'
