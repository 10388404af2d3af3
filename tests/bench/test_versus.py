"""bench.versus: the before/after table reads the right cells and takes medians over rounds."""

from __future__ import annotations

from bench.versus import compare


def _result(vm_seconds: float, mips: float, control: float, call_us: float) -> dict:
    return {
        "kernels": [
            {"kernel": "fib", "runtime": "riscade-interp", "seconds": vm_seconds, "mips": mips,
             "checksum_ok": True},
            {"kernel": "fib", "runtime": "cpython", "seconds": control, "checksum_ok": True},
            {"kernel": "fib", "runtime": "luajit", "seconds": 9.0, "checksum_ok": True},
        ],
        "calls": [{"call": "call0", "runtime": "riscade-interp", "us": call_us, "ok": True}],
    }


def test_medians_and_ratios() -> None:
    before = [_result(2.0, 10.0, 1.0, 3.0), _result(2.2, 9.0, 1.0, 3.0),
              _result(1.8, 11.0, 1.0, 9.0)]
    after = [_result(1.0, 20.0, 1.0, 3.0), _result(1.1, 19.0, 1.0, 3.3),
             _result(5.0, 21.0, 1.0, 3.3)]
    rows = {tuple(line.split()[:3]): line.split()[3:]
            for line in compare(before, after).splitlines()[2:]}
    assert rows[("fib", "riscade-interp", "s")] == ["2", "1.1", "0.550"]
    assert rows[("fib", "riscade-interp", "MIPS")] == ["10", "20", "2.000"]
    assert rows[("call", "call0", "riscade-interp")] == ["us", "3", "3.3", "1.100"]
    assert ("fib", "cpython", "(control)") in rows
    assert not any("luajit" in key for key in rows)  # other runtimes are not compared
