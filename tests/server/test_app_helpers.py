"""Text helpers: Bye reasons and close reasons always fit their frames."""

from __future__ import annotations

from lockstep.wire import reason_text
from protocol import DEFAULT_LIMITS, Bye
from server.connection import ws_reason


def test_bye_reasons_are_never_empty_nor_carry_control_characters() -> None:
    for raw in ("", "\n", "a\nb\x00c", "\u202e" * 2000, "not a msgpack message: "):
        text = reason_text(raw)
        Bye(code="protocol_error", reason=text).check_limits(DEFAULT_LIMITS)  # would raise
        assert text.strip() and len(text) <= 900


def test_close_reasons_fit_123_bytes() -> None:
    assert len(ws_reason("\U0001F600" * 100).encode()) <= 123
    assert ws_reason("too slow") == "too slow"
