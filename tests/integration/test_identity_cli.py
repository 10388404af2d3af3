"""``riscade serve --password-file --admin-token-file`` and ``riscade connect
--password-file --admin-token-file`` as processes: the secrets come from files, never the
command line, and an admin command gets its private answer. The server serves an empty game
(an empty mods folder), so nothing is built."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def connect(port: int, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "riscade_cli.py", "connect", f"ws://127.0.0.1:{port}", "--headless",
         "--cache", str(tmp / "cache"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False, env=ENV)


def test_password_and_admin_token_files_end_to_end(tmp_path: Path) -> None:
    (tmp_path / "mods").mkdir()
    (tmp_path / "pw").write_text("correct horse battery staple\n")
    (tmp_path / "admin").write_text("0123456789abcdef-admin\n")
    (tmp_path / "wrong").write_text("Tr0ub4dor&3\n")
    server = subprocess.Popen(
        [sys.executable, "riscade_cli.py", "serve", "--port", "0", "--mods",
         str(tmp_path / "mods"), "--cache", str(tmp_path / "build"), "--tick-rate", "50",
         "--password-file", str(tmp_path / "pw"), "--admin-token-file", str(tmp_path / "admin")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        cwd=ROOT, env=ENV)
    try:
        assert server.stdout is not None
        port = 0
        for line in server.stdout:
            found = re.search(r"listening on ws://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "the server did not start"
        refused = connect(port, tmp_path, "--ticks", "5", "--password-file",
                          str(tmp_path / "wrong"))
        assert refused.returncode == 1
        assert "server refused to let us join (password): wrong password" in refused.stderr
        admin = connect(port, tmp_path, "--ticks", "20", "--password-file", str(tmp_path / "pw"),
                        "--admin-token-file", str(tmp_path / "admin"), "--say", "/mods",
                        "--say", "/kick nobody")
        assert admin.returncode == 0, admin.stderr
        summary = json.loads(admin.stdout)
        assert summary["notices"] == ["no mods", "no player named 'nobody'"]
        assert summary["ticks"] == 20
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err
    assert "admin 127.0.0.1" in err and "'/kick nobody'" in err
    assert "correct horse" not in err  # the password is never logged
