"""Test helper: build C programs for riscv64 with zig cc and run them under qemu-user.

Builds are cached by the SHA-256 of the source bytes, the full compiler command line and the
ziglang version, so a re-run only recompiles what changed. Every build uses one fixed flag set
per variant, which keeps zig's global cache of compiled musl warm across runs.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

__all__ = ["DEFAULT_CACHE_DIR", "OPT_LEVELS", "cflags", "compile_c", "run_qemu"]

DEFAULT_CACHE_DIR = Path(tempfile.gettempdir()) / "riscade-test-elf"
OPT_LEVELS = ("O0", "O2")
QEMU = "qemu-riscv64"

_BASE_COMMAND = [
    sys.executable, "-m", "ziglang", "cc",
    "-target", "riscv64-linux-musl",
    "-static",
    "-fno-sanitize=undefined",  # -O0 would otherwise build with UBSan traps
]
_NO_COMPRESSED = "-mcpu=baseline_rv64-c-zca"  # RV64G: `-c` alone keeps 16-bit Zca encodings


def cflags(*, opt: str, compressed: bool) -> list[str]:
    """Return the variant-specific compiler flags (before the source file).

    Args:
        opt: "O0" or "O2".
        compressed: False to forbid 16-bit (C/Zca) instructions.

    Raises:
        ValueError: ``opt`` is not one of OPT_LEVELS.
    """
    if opt not in OPT_LEVELS:
        raise ValueError(f"opt must be one of {OPT_LEVELS}, not {opt!r}")
    flags = [f"-{opt}"]
    if not compressed:
        flags.append(_NO_COMPRESSED)
    return flags


def _zig_version() -> str:
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def compile_c(src: Path, *, opt: str, compressed: bool, out_dir: Path) -> Path:
    """Compile one C file into a static riscv64 ELF, or reuse a cached build.

    Args:
        src: the C source file.
        opt: "O0" or "O2".
        compressed: whether the C extension may be used.
        out_dir: cache directory; created if missing.

    Returns:
        The path of the ELF, named ``<stem>-<opt>-<rvc|norvc>-<key>.elf`` in ``out_dir``.

    Raises:
        pytest.fail.Exception: the compiler failed; the message holds its command and stderr.
    """
    src = Path(src)
    flags = cflags(opt=opt, compressed=compressed)
    key_material = b"\0".join(
        [src.read_bytes(), " ".join(_BASE_COMMAND[1:] + flags).encode(), _zig_version().encode()]
    )
    key = hashlib.sha256(key_material).hexdigest()[:20]
    out_dir.mkdir(parents=True, exist_ok=True)
    elf = out_dir / f"{src.stem}-{opt}-{'rvc' if compressed else 'norvc'}-{key}.elf"
    if elf.exists():
        return elf
    # Build under a unique name and rename, so concurrent runs never see a partial file.
    fd, tmp_name = tempfile.mkstemp(dir=out_dir, prefix=f".{src.stem}-", suffix=".elf")
    os.close(fd)
    tmp = Path(tmp_name)
    cmd = [*_BASE_COMMAND, *flags, str(src), "-o", str(tmp), "-lm"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.fail(
                f"compiling {src.name} ({opt}, compressed={compressed}) failed with exit status "
                f"{proc.returncode}\ncommand: {' '.join(cmd)}\n{proc.stderr}",
                pytrace=False,
            )
        os.replace(tmp, elf)
    finally:
        tmp.unlink(missing_ok=True)
    return elf


def run_qemu(elf: Path, args: list[str] | tuple[str, ...] = (), *,
             timeout: float = 120) -> tuple[bytes, bytes, int]:
    """Run a riscv64 ELF under qemu-user with an empty environment and no stdin.

    Returns:
        (stdout, stderr, exit status); a guest killed by a signal gives a negative status.

    Raises:
        pytest.fail.Exception: qemu-riscv64 is not installed.
        subprocess.TimeoutExpired: the guest ran longer than ``timeout`` seconds.
    """
    qemu = shutil.which(QEMU)
    if qemu is None:
        pytest.fail(f"{QEMU} not found: apt-get install qemu-user", pytrace=False)
    proc = subprocess.run(
        [qemu, str(elf), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={},
        timeout=timeout,
    )
    return proc.stdout, proc.stderr, proc.returncode
