"""``GET /status`` and ``GET /metrics`` on the game's port, for operators and health checks.

``/status`` is one JSON object::

    {"version": "0.1.0", "running": true, "failure": null, "tick": 1234, "tick_rate": 20,
     "uptime_seconds": 61.7, "connections": 3,
     "players": [{"id": 1, "name": "ann", "playing": true}, ...],
     "mods": [{"name": "movement", "version": "1.0.0", "sha256": "...", "state": "enabled",
               "faults": 0}, ...]}

``running`` is false once the tick loop has stopped (``failure`` then says why, if it
failed): a health check tests it. ``playing`` is true once the player's connection has its
snapshot; a mod's ``faults`` counts every fault since start, its ``state`` is ``enabled`` or
``disabled``. It shows no peer address. ``/metrics`` is ``server.metrics.render``.

A handler returns (content type, body); ``add_routes`` puts both on a server's route table
(``server.http``), uncached.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from websockets.http11 import Request, Response

from .http import Routes, reply
from .metrics import CONTENT_TYPE, render, version

if TYPE_CHECKING:
    from .app import GameServer

__all__ = ["status", "status_dict", "metrics", "add_routes"]


def status_dict(server: GameServer) -> dict[str, Any]:
    """What ``/status`` says, as a dict."""
    room = server.room
    playing = server.playing
    faults = Counter(record.mod for record in room.sim.faults)
    disabled = {name: off for name, _, off in room.sim.mod_status()}
    return {
        "version": version(),
        "running": server.running,
        "failure": server.failure,
        "tick": room.tick,
        "tick_rate": server.tick_rate,
        "uptime_seconds": round(server.metrics.uptime(), 3),
        "connections": server.open_connections,
        "players": [{"id": pid, "name": name, "playing": pid in playing}
                    for pid, name in sorted(room.players.items())],
        "mods": [{"name": e.name, "version": e.version, "sha256": e.sha256,
                  "state": "disabled" if disabled.get(e.name) else "enabled",
                  "faults": faults.get(e.name, 0)}
                 for e in server.handshake.manifest],
    }


def status(server: GameServer) -> tuple[str, bytes]:
    """``GET /status``: (content type, JSON body)."""
    body = json.dumps(status_dict(server), ensure_ascii=False, sort_keys=True) + "\n"
    return "application/json", body.encode("utf-8")


def metrics(server: GameServer) -> tuple[str, bytes]:
    """``GET /metrics``: (content type, Prometheus text)."""
    return CONTENT_TYPE, render(server)


def _route(server: GameServer,
           handler: Callable[[GameServer], tuple[str, bytes]]) -> Callable[[Request], Response]:
    def respond(_: Request) -> Response:
        ctype, body = handler(server)
        return reply(body, ctype, cache="no-store")
    return respond


def add_routes(routes: Routes, server: GameServer) -> None:
    """Serve ``/status`` and ``/metrics`` of ``server`` on ``routes``."""
    routes.add("/status", _route(server, status))
    routes.add("/metrics", _route(server, metrics))
