"""Text from a peer in log lines: escaped and bounded."""

from __future__ import annotations

from server.names import shown


def test_shown_escapes_and_bounds() -> None:
    assert shown("a\u202eb\nc") == "'a\\u202eb\\nc'"
    assert shown("x" * 100, limit=10) == "'xxxxxxxxxx'..."
