"""``riscade demo``: prints the URL of the page, serves it, two bots play (bounded here by
``--ticks``); a port that is taken is said and another one used. Real processes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_demo_help() -> None:
    done = subprocess.run([sys.executable, "riscade_cli.py", "demo", "--help"], cwd=ROOT,
                          env=ENV, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.startswith("usage: riscade demo"), done
    assert "--ticks" in done.stdout and "--port" in done.stdout


def test_demo_serves_the_page_while_two_bots_play(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "riscade_cli.py", "demo", "--port", str(port), "--ticks", "40",
             "--tick-rate", "40", "--cache", str(tmp_path / "cache")],
            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                lines.append(line)
                if "open http://" in line:
                    break
            text = "".join(lines)
            assert f"port {port} is taken; using port" in text, text
            url = re.search(r"open (http://127\.0\.0\.1:(\d+)/) in a browser", text)
            assert url is not None and int(url[2]) != port, text
            with urllib.request.urlopen(url[1], timeout=30) as page:
                assert page.read() == (ROOT / "web" / "static" / "index.html").read_bytes()
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    summaries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert len(summaries) == 2
    for s in summaries:
        assert s["ticks"] == 40 and s["desyncs"] == 0 and s["mods"] == 4
    assert summaries[0]["state_hash"] == summaries[1]["state_hash"]
