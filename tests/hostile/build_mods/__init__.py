"""Hostile (and honest) mod sources for the build and load tests, and ``stage`` to use them.

A source may hold placeholders the test fills in: ``@SECRET@`` (a host file the mod tries
to read) and ``@OUTSIDE@`` (a folder outside the mod the build tries to write).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def stage(mods_dir: Path, *names: str, **values: str) -> Path:
    """Copy the mods ``names`` into ``mods_dir`` (created), filling ``@KEY@`` placeholders
    from ``values``; return ``mods_dir``."""
    mods_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        for source in sorted((HERE / name).iterdir()):
            text = source.read_text()
            for key, value in values.items():
                text = text.replace(f"@{key.upper()}@", value)
            (mods_dir / name).mkdir(exist_ok=True)
            (mods_dir / name / source.name).write_text(text)
    return mods_dir
