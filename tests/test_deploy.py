"""The Dockerfile and docker-compose.yml: the compose file is valid (``docker compose config``,
or ``docker-compose config``; skipped where neither is installed), its server is built from
the Dockerfile with the world in a volume and a health check on ``/status``, every flag it
gives ``riscade serve`` exists, and its health check, run for real against a server, passes
while the server ticks and fails once it has stopped."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from server.app import GameServer
from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True,
                                 check=False).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_config() -> dict[str, Any]:
    """The compose file as ``docker compose config`` resolves it."""
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    if command[-1] == "compose":
        done = subprocess.run([*command, "config", "--format", "json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))
    yaml = pytest.importorskip("yaml")
    done = subprocess.run([*command, "config"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return dict(yaml.safe_load(done.stdout))


def _options() -> set[str]:
    return {s for a in build_parser()._actions for s in a.option_strings}


def _healthcheck_test() -> list[str]:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return list(compose["services"]["server"]["healthcheck"]["test"])


def test_compose_config_has_the_server_its_volume_and_health_check() -> None:
    config = compose_config()
    server = config["services"]["server"]
    build = server["build"]
    context = build["context"] if isinstance(build, dict) else build
    assert Path(context).resolve() == ROOT
    assert (build.get("dockerfile", "Dockerfile") if isinstance(build, dict)
            else "Dockerfile") == "Dockerfile"
    mounts = server["volumes"]
    assert any((m["source"], m["target"]) == ("world", "/data") if isinstance(m, dict)
               else m.split(":")[:2] == ["world", "/data"] for m in mounts), mounts
    assert "world" in config["volumes"]
    health = server["healthcheck"]
    assert health["test"][0] == "CMD" and "127.0.0.1:8765/status" in " ".join(health["test"])
    command = server["command"]
    assert command[command.index("--world") + 1] == "/data/world.db"
    assert command[command.index("--host") + 1] == "0.0.0.0"
    ports = server["ports"]
    assert any(str(p.get("target") if isinstance(p, dict) else p).endswith("8765")
               for p in ports)
    bot = config["services"]["bot"]
    assert bot["depends_on"]["server"]["condition"] == "service_healthy"


def test_every_flag_given_to_serve_exists() -> None:
    """The compose file's and the Dockerfile's flags are options of ``riscade serve``."""
    compose_flags = set(re.findall(r'"(--[a-z-]+)"',
                                   (ROOT / "docker-compose.yml").read_text()))
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = dockerfile[dockerfile.index("\nCMD "):]
    flags = compose_flags | set(re.findall(r'"(--[a-z-]+)"', cmd))
    assert {"--host", "--port", "--world", "--cache"} <= flags
    bot_flags = {"--headless", "--bot", "--seed", "--ticks", "--name"}
    assert flags - bot_flags - _options() == set()


def test_the_dockerfile_runs_install_sh_on_debian_12() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.MULTILINE)
    assert re.search(r"^RUN bash scripts/install\.sh", text, re.MULTILINE)
    assert 'ENTRYPOINT ["riscade", "serve"]' in text
    assert 'VOLUME ["/data"]' in text


def _run_check(test: list[str], port: int) -> int:
    assert test[:3] == ["CMD", "python", "-c"]
    code = test[3].replace("127.0.0.1:8765", f"127.0.0.1:{port}")
    assert code != test[3]
    return subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=30,
                          check=False).returncode


async def test_the_health_check_passes_while_ticking_and_fails_after() -> None:
    test = _healthcheck_test()
    server = GameServer([], tick_rate=50, stop_after=None, on_log=lambda text: None)
    port = await server.start("127.0.0.1", 0)
    try:
        assert await asyncio.to_thread(_run_check, test, port) == 0
        server.stop_after = server.room.tick  # the tick loop ends: running is false
        for _ in range(200):
            if not server.running:
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(_run_check, test, port) == 1
    finally:
        await server.stop()
    assert await asyncio.to_thread(_run_check, test, port) != 0  # nobody listens
