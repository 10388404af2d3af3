"""protocol.compression on both zstd libraries: zstandard here (CPython 3.11) and the standard
library's compression.zstd in Pyodide (CPython 3.14). The same data, bombs and forgeries give
the same outcome on both sides, and frames made by either side are read by the other."""

from __future__ import annotations

import json
from pathlib import Path

from protocol.compression import decompress_blob
from web.node import run_in_pyodide

from . import zstd_cases
from .conftest import needs_pyodide

CASES = Path(zstd_cases.__file__)


@needs_pyodide
def test_both_zstd_libraries_keep_the_same_bounds(tmp_path: Path) -> None:
    zstd_cases.write_inputs(tmp_path)
    here = zstd_cases.outcomes(tmp_path)
    there = json.loads(run_in_pyodide(CASES, tmp_path, ["/data"]).splitlines()[-1])
    assert there["backend"] == "compression.zstd" and here["backend"] == "zstandard"
    assert there["outcomes"] == here["outcomes"]
    # the bounds hold on each side: spot-check a few outcomes against what must happen
    o = here["outcomes"]
    assert o["round_trip"] == ["ok", zstd_cases.digest(zstd_cases.DATA)]
    assert o["gib_bomb"][0] == "BlobError" and o["unsized_bomb"][0] == "BlobError"
    assert o["forged_header"] == ["BlobError", "frame header claims 1099511627776 bytes, "
                                                "1000 declared"]
    assert o["wide_window"][0] == "BlobError" and o["truncated"][0] == "BlobError"
    assert o["over_limit"] == ["BlobError", "declared size 2000001 is outside 0 to 2000000 bytes"]
    assert o["two_frames"][0] == "ok" and o["empty"][0] == "ok"
    assert o["mod_bad_sha"][0] == "ModVerificationError"
    # and a frame compression.zstd made reads here
    theirs = (tmp_path / zstd_cases.THEIRS).read_bytes()
    assert decompress_blob(theirs, len(zstd_cases.DATA), limit=1 << 20) == zstd_cases.DATA
