"""The server's log lines (logger ``riscade``, on stderr): text for people, or JSON for
machines (``--log-format json``), one object per line::

    {"time": "2026-12-06T14:02:11.123Z", "level": "WARNING", "logger": "riscade.server",
     "event": "dropped", "peer": "127.0.0.1:50312", "message": "127.0.0.1:50312 dropped: ..."}

``event`` names what happened: the ``event`` given with ``extra=``, else the log call's
template without its ``%`` placeholders, up to a colon (``"%s dropped: %s"`` is ``dropped``,
``"%s: unexpected error"`` is ``unexpected error``), so it stays the same from one line to the
next whatever the values. ``peer`` is the ``peer`` given with ``extra=``, else the address the
line starts with (the server's lines about a connection start with its ``host:port``); absent
when there is none. A traceback, if any, is in ``exc``.

The game's own account (what the mods log and say) is not here: it goes to stdout, apart.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any, TextIO

__all__ = ["LEVELS", "FORMATS", "JsonFormatter", "event_of", "setup_logging"]

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")

_PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(\.\d+)?[sdifrxXeEgGc%]")
_PEER = re.compile(r"^(\[[0-9a-fA-F:.]+\]:\d+|[^\s:]+:\d+|[0-9a-fA-F:]+:\d+)(?=\s|$)")


def event_of(record: logging.LogRecord) -> str:
    """The event of a log record (see the module docstring)."""
    given = getattr(record, "event", None)
    if isinstance(given, str):
        return given
    parts = _PLACEHOLDER.sub(" ", str(record.msg)).split(":")
    return next((" ".join(p.split()) for p in parts if p.strip()), "message")


def _peer_of(record: logging.LogRecord, message: str) -> str | None:
    given = getattr(record, "peer", None)
    if isinstance(given, str):
        return given
    match = _PEER.match(message)
    return match.group(1) if match else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (``json.dumps`` escapes any newline)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line: time (UTC, ISO 8601), level, logger, event, peer,
        message, and exc (a traceback) when there is one."""
        message = record.getMessage()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, Any] = {
            "time": f"{stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "event": event_of(record),
            "message": message,
        }
        peer = _peer_of(record, message)
        if peer is not None:
            line["peer"] = peer
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send the ``riscade`` loggers' lines at ``level`` and above, and every other library's
    warnings and errors (websockets, asyncio), to ``stream`` (default: stderr) as ``fmt``
    (``"text"``: time, level, logger, message; ``"json"``: ``JsonFormatter``), so that with
    ``json`` every line is JSON. Calling it again replaces the handler it installed before."""
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.set_name("riscade.setup_logging")
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == handler.get_name()]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("riscade").setLevel(level.upper())
    logging.getLogger("websockets").setLevel(logging.WARNING)
