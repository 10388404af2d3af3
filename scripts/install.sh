#!/usr/bin/env bash
# Installs everything riscade needs on a fresh Debian 12 machine (as root), then the project.
set -euo pipefail
cd "$(dirname "$0")/.."
# RISCADE_SERVER_ONLY=1 (the Dockerfile): what `riscade serve` needs, without the test tools.
only=${RISCADE_SERVER_ONLY:-}
need=()
command -v qemu-riscv64 >/dev/null || [ -n "$only" ] || need+=(qemu-user)
command -v nim >/dev/null || need+=(nim)
command -v bwrap >/dev/null || need+=(bubblewrap)  # every mod build runs in bubblewrap
command -v chromium >/dev/null || [ -n "$only" ] || need+=(chromium)  # the browser tests (playwright drives it)
command -v node >/dev/null || need+=(nodejs)  # Pyodide under Node: the determinism test
command -v npm >/dev/null || need+=(npm)
command -v docker-compose >/dev/null || [ -n "$only" ] || need+=(docker-compose)  # checks docker-compose.yml (no engine needed)
command -v llvm-objcopy >/dev/null || need+=(llvm)  # splits mods' debug info off
command -v gdb-multiarch >/dev/null || [ -n "$only" ] || need+=(gdb-multiarch)  # debugging mods (and its tests)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
python -m pip install -q -e "$([ -n "$only" ] && echo . || echo '.[test,bench]')"
# The game page's assets, served by riscade itself (never a CDN): the pinned Pyodide, and pure
# wheels of the client's dependencies. Playwright drives /usr/bin/chromium: no browser download.
(cd web && npm ci --no-audit --no-fund)
python -m web.wheels
