"""SDK generator: the host API of ``mods.host_api`` as a C header, a Zig module, a Nim module.

``python -m mods.sdk`` rewrites ``mods/sdk/riscade.{h,zig,nim}`` and
``riscade_root.zig``; ``python -m mods.sdk
--check`` exits 1 if a committed file differs from what the generator makes now. Output is
a pure function of the tables (no dates, no paths), so it is reproducible byte for byte.

Every wrapper follows the calling convention of ``vm.hostcalls``: ``a7`` = HOSTCALL_BASE +
number, arguments in ``a0..a6`` (str/bytes as pointer then length, floats as bit patterns),
result in ``a0``; the host changes no register but ``a0``.
"""

from __future__ import annotations

from pathlib import Path

from . import c, nim, zig
from .model import Sdk

__all__ = ["SDK_DIR", "SDK_FILES", "Sdk", "generate", "stale_files", "write_sdk"]

#: Where the committed SDK files live (next to this module).
SDK_DIR = Path(__file__).resolve().parent

#: Generated file name per language.
SDK_FILES = {"c": "riscade.h", "zig": "riscade.zig", "nim": "riscade.nim",
             "zig_root": zig.ROOT_FILE}


def generate(sdk: Sdk | None = None) -> dict[str, str]:
    """The text of every SDK file, by file name."""
    sdk = sdk or Sdk.of()
    renderers = {"c": c.render, "zig": zig.render, "nim": nim.render, "zig_root": zig.render_root}
    return {SDK_FILES[lang]: render(sdk) for lang, render in renderers.items()}


def stale_files(directory: Path = SDK_DIR, sdk: Sdk | None = None) -> list[str]:
    """Names of SDK files in ``directory`` that are missing or differ from ``generate()``."""
    out = []
    for name, text in generate(sdk).items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != text.encode():
            out.append(name)
    return out


def write_sdk(directory: Path = SDK_DIR, sdk: Sdk | None = None) -> list[Path]:
    """Write the SDK files that changed; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generate(sdk).items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != text.encode():
            path.write_bytes(text.encode())
            written.append(path)
    return written
