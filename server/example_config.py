"""``python -m server.example_config > riscade.example.toml``: write the example config file
from the options of ``riscade serve`` (``server.config.example``)."""

from __future__ import annotations

import sys

from .cli import build_parser
from .config import example

__all__: list[str] = []

if __name__ == "__main__":
    sys.stdout.write(example(build_parser()))
