"""``GET /metrics``: the server's counters in the Prometheus text exposition format (0.0.4).

What is measured in wall-clock time (how long a tick took to compute, uptime) is measured
here, in the server's shell, never inside the simulation: the simulation's own numbers
(instructions retired per mod, faults per mod) are read from it as they are, deterministic.

Families (all prefixed ``riscade_``):

- ``tick_duration_seconds`` (histogram): the time ``GameServer.step`` took per tick.
- ``tick`` (gauge): the last tick applied; ``players`` (gauge): players in the world;
  ``open_connections`` (gauge): connections open, joining or playing.
- ``sent_bytes_total`` (counter): bytes of websocket messages sent to clients.
- one counter per entry of ``GameServer.stats`` (``<key>_total``): connections accepted,
  refused, dropped, kicked, ``desyncs_reported``, ``mod_bytes_sent``, ``chat_dropped``...
- ``mod_instructions_total{mod}`` (counter): guest instructions the mod's machine retired
  (a reload starts it again, as a counter reset); ``mod_faults_total{mod}`` (counter):
  faults recorded; ``mod_disabled{mod}`` (gauge): 1 if the mod is disabled.
- ``uptime_seconds`` (gauge), ``build_info{version}`` (gauge, 1).
"""

from __future__ import annotations

import bisect
import functools
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import GameServer

__all__ = ["CONTENT_TYPE", "TICK_BUCKETS", "ServerMetrics", "render", "version"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Upper bounds (seconds) of the tick-duration histogram's buckets (+Inf is implied): a tick
#: at 20 ticks/s has 0.05 s.
TICK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


@functools.cache
def version() -> str:
    """riscade's installed version ("unknown" when it runs from a folder not installed);
    looked up once (a metadata look-up scans the path: a millisecond)."""
    try:
        return metadata.version("riscade")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class ServerMetrics:
    """The counters the server's shell keeps (the rest is read from the server when asked)."""

    started: float = field(default_factory=time.monotonic)
    sent_bytes: int = 0
    tick_count: int = 0
    tick_seconds: float = 0.0
    tick_buckets: list[int] = field(default_factory=lambda: [0] * len(TICK_BUCKETS))

    def observe_tick(self, seconds: float) -> None:
        """Count one tick that took ``seconds`` to compute."""
        self.tick_count += 1
        self.tick_seconds += seconds
        first = bisect.bisect_left(TICK_BUCKETS, seconds)
        if first < len(TICK_BUCKETS):
            self.tick_buckets[first] += 1  # cumulated when rendered

    def uptime(self) -> float:
        """Seconds since the server was made."""
        return time.monotonic() - self.started


def _label(value: str) -> str:
    """``value`` escaped for a label value in the text format."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _family(name: str, kind: str, help_text: str,
            samples: Iterable[tuple[str, dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for suffix, labels, value in samples:
        shown = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f"{name}{suffix}{{{shown}}} {_number(value)}" if shown
                     else f"{name}{suffix} {_number(value)}")
    return lines


def render(server: GameServer) -> bytes:
    """The text exposition of ``server``'s metrics, now."""
    m = server.metrics
    room = server.room
    out: list[str] = []
    cumulated = 0
    buckets: list[tuple[str, dict[str, str], float]] = []
    for bound, count in zip(TICK_BUCKETS, m.tick_buckets, strict=True):
        cumulated += count
        buckets.append(("_bucket", {"le": repr(bound)}, cumulated))
    buckets += [("_bucket", {"le": "+Inf"}, m.tick_count), ("_sum", {}, m.tick_seconds),
                ("_count", {}, m.tick_count)]
    out += _family("riscade_tick_duration_seconds", "histogram",
                   "Time the server took to compute and send one tick.", buckets)
    out += _family("riscade_tick", "gauge", "The last tick applied.", [("", {}, room.tick)])
    out += _family("riscade_players", "gauge", "Players in the world.",
                   [("", {}, len(room.players))])
    out += _family("riscade_open_connections", "gauge",
                   "Open connections (joining or playing).",
                   [("", {}, server.open_connections)])
    out += _family("riscade_sent_bytes_total", "counter",
                   "Bytes of websocket messages sent to clients.", [("", {}, m.sent_bytes)])
    for key, value in server.stats.items():
        out += _family(f"riscade_{key}_total", "counter",
                       f"Server count: {key.replace('_', ' ')}.", [("", {}, value)])
    sim = room.sim
    status = sim.mod_status()
    faults = Counter(record.mod for record in sim.faults)
    out += _family("riscade_mod_instructions_total", "counter",
                   "Guest instructions the mod's machine retired (since it was loaded).",
                   [("", {"mod": name}, sim.machine(name).instret) for name, _, _ in status])
    out += _family("riscade_mod_faults_total", "counter",
                   "Faults of the mod's hooks (contained; its changes rolled back).",
                   [("", {"mod": name}, faults.get(name, 0)) for name, _, _ in status])
    out += _family("riscade_mod_disabled", "gauge", "1 if the mod is disabled, else 0.",
                   [("", {"mod": name}, int(off)) for name, _, off in status])
    out += _family("riscade_uptime_seconds", "gauge", "Seconds since the server started.",
                   [("", {}, m.uptime())])
    out += _family("riscade_build_info", "gauge", "riscade's version.",
                   [("", {"version": version()}, 1)])
    return ("\n".join(out) + "\n").encode("utf-8")
