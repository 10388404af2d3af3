"""Server log lines as text or as one JSON object per line, with levels."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from server import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root, ours = logging.getLogger(), logging.getLogger("riscade")
    before = (list(root.handlers), root.level, ours.level)
    yield stream
    root.handlers[:] = before[0]
    root.setLevel(before[1])
    ours.setLevel(before[2])


def lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


def test_json_lines_carry_time_level_event_peer_message(captured: io.StringIO) -> None:
    logs.setup_logging("info", "json", captured)
    log = logging.getLogger("riscade.server")
    log.warning("%s dropped: %s", "127.0.0.1:50312 player 2 'ann'", "too slow\nreally")
    log.info("%s connected", "[::1]:4000")
    log.info("%s said hello: sending %d of %d mods", "::1:4001", 2, 3)
    log.error("cannot send the snapshot of tick %d: %s", 7, "too big")
    log.info("plain", extra={"event": "custom", "peer": "10.0.0.1:9"})
    log.debug("not shown at INFO")
    got = [json.loads(line) for line in lines(captured)]
    assert len(got) == 5 and len(lines(captured)) == 5  # the newline stayed inside its object
    first = got[0]
    assert set(first) == {"time", "level", "logger", "event", "peer", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "riscade.server"
    assert first["event"] == "dropped" and first["peer"] == "127.0.0.1:50312"
    assert first["message"] == "127.0.0.1:50312 player 2 'ann' dropped: too slow\nreally"
    assert first["time"].endswith("Z") and first["time"][10] == "T"
    assert (got[1]["event"], got[1]["peer"]) == ("connected", "[::1]:4000")
    assert (got[2]["event"], got[2]["peer"]) == ("said hello", "::1:4001")
    assert got[3]["event"] == "cannot send the snapshot of tick" and "peer" not in got[3]
    assert (got[4]["event"], got[4]["peer"]) == ("custom", "10.0.0.1:9")


def test_a_traceback_stays_in_its_json_line(captured: io.StringIO) -> None:
    logs.setup_logging("INFO", "json", captured)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("riscade.server").exception("%s: unexpected error", "1.2.3.4:5")
    (line,) = lines(captured)
    record = json.loads(line)
    assert record["event"] == "unexpected error" and "RuntimeError: boom" in record["exc"]


def test_text_lines_and_levels(captured: io.StringIO) -> None:
    logs.setup_logging("WARNING", "text", captured)
    log = logging.getLogger("riscade.server")
    log.info("hidden")
    log.warning("%s refused: %s", "1.2.3.4:5", "full")
    (line,) = lines(captured)
    assert line.endswith(" WARNING riscade.server: 1.2.3.4:5 refused: full")


def test_setting_up_twice_keeps_one_handler(captured: io.StringIO) -> None:
    logs.setup_logging("INFO", "text", captured)
    logs.setup_logging("INFO", "json", captured)
    logging.getLogger("riscade.x").info("once")
    (line,) = lines(captured)
    assert json.loads(line)["message"] == "once"


def test_other_libraries_warnings_are_json_lines_too(captured: io.StringIO) -> None:
    logs.setup_logging("INFO", "json", captured)
    logging.getLogger("websockets.server").error("process_request failed")
    logging.getLogger("asyncio").error("Task exception was never retrieved")
    logging.getLogger("websockets.server").info("server listening")  # below WARNING
    got = [json.loads(line) for line in lines(captured)]
    assert [(r["logger"], r["level"]) for r in got] == [("websockets.server", "ERROR"),
                                                        ("asyncio", "ERROR")]
