"""Mod folders that cannot be built at all: a mod.toml that is not TOML, one that breaks the
manifest's rules, a dependency cycle. Each is caught before anything is compiled."""

from __future__ import annotations

from pathlib import Path

#: name -> (mod.toml files by mod folder, a phrase the one-line error must contain)
BAD_FOLDERS: dict[str, tuple[dict[str, str], str]] = {
    "not-toml": ({"broken": 'name = "broken\nlanguage = c\n'}, "not valid TOML"),
    "bad-limits": ({"greedy": 'name = "greedy"\nversion = "1.0.0"\nlanguage = "c"\n'
                              'sources = ["greedy.c"]\n[limits]\nmemory = 100000\nstack = 16384\n'},
                   "multiple of 4096"),
    "cycle": ({"a": 'name = "a"\nversion = "1.0.0"\nlanguage = "c"\nsources = ["a.c"]\n'
                    'dependencies = ["b"]\n',
               "b": 'name = "b"\nversion = "1.0.0"\nlanguage = "c"\nsources = ["b.c"]\n'
                    'dependencies = ["a"]\n'},
              "mod dependency cycle"),
}


def write_bad_folder(root: Path, case: str) -> tuple[Path, str]:
    """Write the mods folder of ``case`` under ``root``; its path and the expected phrase."""
    mods, phrase = BAD_FOLDERS[case]
    folder = root / case
    for name, toml in mods.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "mod.toml").write_text(toml)
        (folder / name / f"{name}.c").write_text("int main(void) { return 0; }\n")
    return folder, phrase
